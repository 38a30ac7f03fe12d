#include "inspector.h"

#include <QApplication>
#include <QCheckBox>
#include <QRegularExpressionValidator>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPointer>
#include <QSpinBox>
#include <QVBoxLayout>
#include <climits>

#include "registry.h"

namespace nw::ui {

Inspector::Inspector(QWidget* parent) : QWidget(parent), title_(new QLabel), form_(new QFormLayout) {
    auto* layout = new QVBoxLayout(this);
    title_->setWordWrap(true);
    layout->addWidget(title_);
    layout->addLayout(form_);
    layout->addStretch();
    showNode({}, {});
}

QWidget* Inspector::editor(const std::string& attr) const { return findChild<QWidget*>(QString::fromStdString("attr:" + attr)); }

void Inspector::showNode(const Document& doc, const std::string& id) {
    // Rebuilt after every edit: the field that has the focus (Tab moved it there) keeps it.
    QString focused;
    if (QWidget* f = QApplication::focusWidget(); f && isAncestorOf(f) && id == node_)
        for (QWidget* w = f; w && w != this; w = w->parentWidget())
            if (w->objectName().startsWith("attr:")) {  // the innermost: one box of a pair
                focused = w->objectName();
                break;
            }
    while (form_->rowCount() > 0) form_->removeRow(0);
    node_ = id;
    struct Refocus {
        Inspector* self;
        QString name;
        ~Refocus() {
            // Queued: a widget added to a shown layout is shown by a queued call, and focus given to a
            // widget not yet shown is lost.
            if (name.isEmpty()) return;
            QMetaObject::invokeMethod(self, [self = QPointer<Inspector>(self), name = name] {
                if (QWidget* w = self ? self->findChild<QWidget*>(name) : nullptr) w->setFocus(Qt::TabFocusReason);
            }, Qt::QueuedConnection);
        }
    } refocus{this, focused};
    const Node* n = id.empty() ? nullptr : doc.graph.find(id);
    if (!n) {
        title_->setText(tr("<b>The network</b><br><small><i>Select a node to see and edit its attributes.</i></small>"));
        auto* name = new QLineEdit(QString::fromStdString(doc.name));
        name->setObjectName("network:name");
        auto* description = new QLineEdit(QString::fromStdString(doc.description));
        description->setObjectName("network:description");
        description->setCursorPosition(0);
        auto commit = [this, name, description, before = std::make_pair(name->text(), description->text())]() mutable {
            const auto now = std::make_pair(name->text(), description->text());
            if (now == before) return;
            before = now;
            emit documentEdited(now.first, now.second);
        };
        connect(name, &QLineEdit::editingFinished, this, commit);
        connect(description, &QLineEdit::editingFinished, this, commit);
        form_->addRow(tr("name"), name);
        form_->addRow(tr("description"), description);
        return;
    }
    const LayerKind* kind = Registry::instance().find(n->kind);
    const ModuleDef* mod = kind ? nullptr : doc.findModule(n->kind);
    title_->setText(QString("<b>%1</b> — %2<br><small>%3</small>")
                        .arg(QString::fromStdString(id).toHtmlEscaped(), QString::fromStdString(n->kind).toHtmlEscaped(),
                             QString::fromStdString(kind ? kind->doc : mod ? mod->doc : "").toHtmlEscaped()));
    const QString nodeId = QString::fromStdString(id);
    auto emitValue = [this, nodeId](const std::string& attr, AttrValue v) { emit edited(nodeId, QString::fromStdString(attr), v); };
    auto current = [&](const std::string& attr, const AttrValue& def) {
        auto it = n->attrs.find(attr);
        return it == n->attrs.end() ? def : it->second;
    };
    // A text editor: any value, formulas included; checked when the graph is analysed.
    auto textEditor = [&](const std::string& attr, const AttrValue& value) -> QLineEdit* {
        auto* e = new QLineEdit(QString::fromStdString(formatAttrValue(value)));
        connect(e, &QLineEdit::editingFinished, this, [e, attr, emitValue, before = e->text()]() mutable {
            if (e->text() == before) return;
            before = e->text();
            emitValue(attr, parseAttrText(e->text().toStdString()));
        });
        return e;
    };
    auto addRow = [&](const std::string& attr, QWidget* w, const std::string& doc) {
        w->setObjectName(QString::fromStdString("attr:" + attr));
        w->setToolTip(QString::fromStdString(doc));
        form_->addRow(QString::fromStdString(attr), w);
    };
    // Every node may be conditional: it exists only where its condition holds (a projection
    // shortcut "when stride != 1"); shown last, empty meaning always.
    auto addCondition = [&] {
        auto* e = new QLineEdit(QString::fromStdString(n->when));
        e->setPlaceholderText(tr("always"));
        connect(e, &QLineEdit::editingFinished, this, [this, e, nodeId, before = e->text()]() mutable {
            if (e->text() == before) return;
            before = e->text();
            emit conditionEdited(nodeId, e->text().trimmed());
        });
        addRow("when", e, "a condition over the module's parameters (stride != 1); false leaves the node out, its input passing through");
    };
    if (mod) {
        for (const auto& [param, def] : mod->params) addRow(param, textEditor(param, current(param, def)), "module parameter");
        // How many copies in sequence the instance stands for (ResNet's stages): 1 is a single one.
        auto* repeat = new QSpinBox;
        repeat->setRange(1, 1000);
        repeat->setValue(static_cast<int>(std::max<int64_t>(n->repeat, 1)));
        repeat->setKeyboardTracking(false);
        connect(repeat, &QSpinBox::valueChanged, this, [this, nodeId](int copies) { emit repeatEdited(nodeId, copies); });
        addRow("repeat", repeat, "copies of this instance in sequence");
        addCondition();
        return;
    }
    if (!kind) return;
    for (const AttrSpec& spec : kind->attrs) {
        const AttrValue value = current(spec.name, spec.def);
        const std::string name = spec.name;
        QWidget* w = nullptr;
        if (spec.type == AttrType::Int && std::holds_alternative<int64_t>(value)) {
            auto* box = new QSpinBox;
            box->setRange(static_cast<int>(std::max<int64_t>(spec.min, INT_MIN)), static_cast<int>(std::min<int64_t>(spec.max, INT_MAX)));
            box->setValue(static_cast<int>(std::get<int64_t>(value)));
            box->setKeyboardTracking(false);  // one edit per value entered, not per keystroke
            connect(box, &QSpinBox::valueChanged, this, [emitValue, name](int v) { emitValue(name, int64_t{v}); });
            w = box;
        } else if (spec.type == AttrType::Float && std::holds_alternative<double>(value)) {
            auto* box = new QDoubleSpinBox;
            box->setDecimals(6);
            box->setRange(spec.fmin, spec.fmax);
            box->setValue(std::get<double>(value));
            box->setKeyboardTracking(false);
            connect(box, &QDoubleSpinBox::valueChanged, this, [emitValue, name](double v) { emitValue(name, v); });
            w = box;
        } else if (spec.type == AttrType::Bool && std::holds_alternative<bool>(value)) {
            auto* box = new QCheckBox;
            box->setChecked(std::get<bool>(value));
            connect(box, &QCheckBox::toggled, this, [emitValue, name](bool v) { emitValue(name, v); });
            w = box;
        } else if (spec.type == AttrType::Choice && std::holds_alternative<std::string>(value)) {
            auto* box = new QComboBox;
            for (const auto& c : spec.choices) box->addItem(QString::fromStdString(c));
            box->setCurrentText(QString::fromStdString(std::get<std::string>(value)));
            connect(box, &QComboBox::textActivated, this,
                    [emitValue, name](const QString& v) { emitValue(name, v.toStdString()); });
            w = box;
        } else if (const auto* pair = std::get_if<std::vector<int64_t>>(&value);
                   spec.type == AttrType::Int2 && (std::holds_alternative<int64_t>(value) || (pair && pair->size() == 2))) {
            // A pair (kernel_size, stride, dilation): height and width as two spin boxes.
            const int64_t h = pair ? (*pair)[0] : std::get<int64_t>(value), wv = pair ? (*pair)[1] : h;
            auto* row = new QWidget;
            auto* layout = new QHBoxLayout(row);
            layout->setContentsMargins(0, 0, 0, 0);
            QSpinBox* boxes[2];
            for (int i = 0; i < 2; ++i) {
                boxes[i] = new QSpinBox;
                boxes[i]->setRange(static_cast<int>(std::max<int64_t>(spec.min, INT_MIN)), static_cast<int>(std::min<int64_t>(spec.max, INT_MAX)));
                boxes[i]->setValue(static_cast<int>(i ? wv : h));
                boxes[i]->setKeyboardTracking(false);
                boxes[i]->setObjectName(QString::fromStdString("attr:" + name + (i ? ".w" : ".h")));
                boxes[i]->setToolTip(i ? tr("width") : tr("height"));
                layout->addWidget(boxes[i], 1);
            }
            for (QSpinBox* box : boxes)
                connect(box, &QSpinBox::valueChanged, this, [emitValue, name, boxes] {
                    emitValue(name, std::vector<int64_t>{boxes[0]->value(), boxes[1]->value()});
                });
            w = row;
        } else {
            auto* e = textEditor(name, value);  // padding, formulas, values of the wrong type
            // Only what the attribute can hold can be typed: n, "h, w", "(h, w)" as they are shown, or
            // "[h, w]" (Padding also four numbers, same, valid), or a formula "=…".
            const QString numbers = spec.type == AttrType::Padding ? "\\d+(\\s*,\\s*\\d+){0,3}" : "\\d+(\\s*,\\s*\\d+)?";
            if (spec.type == AttrType::Int2 || spec.type == AttrType::Padding)
                e->setValidator(new QRegularExpressionValidator(
                    QRegularExpression("\\s*(=.*|" + numbers + "|\\[\\s*" + numbers + "\\s*\\]|\\(\\s*" + numbers + "\\s*\\)" +
                                       (spec.type == AttrType::Padding ? "|same|valid" : "") + ")\\s*"),
                    e));
            w = e;
        }
        addRow(name, w, spec.doc);
    }
    addCondition();
}

}  // namespace nw::ui
