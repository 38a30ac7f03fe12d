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

namespace {

// Which editor an attribute gets: a spin box, check box or list for a value of its own type, a
// pair of spin boxes for (h, w), text for anything else (formulas, padding, values of the wrong type).
enum class EditorKind : char { Int = 'i', Float = 'f', Bool = 'b', Choice = 'c', Pair = 'p', Text = 't' };

EditorKind editorKind(const AttrSpec& spec, const AttrValue& value) {
    const auto* pair = std::get_if<std::vector<int64_t>>(&value);
    if (spec.type == AttrType::Int && std::holds_alternative<int64_t>(value)) return EditorKind::Int;
    if (spec.type == AttrType::Float && std::holds_alternative<double>(value)) return EditorKind::Float;
    if (spec.type == AttrType::Bool && std::holds_alternative<bool>(value)) return EditorKind::Bool;
    if (spec.type == AttrType::Choice && std::holds_alternative<std::string>(value)) return EditorKind::Choice;
    if (spec.type == AttrType::Int2 && (std::holds_alternative<int64_t>(value) || (pair && pair->size() == 2)))
        return EditorKind::Pair;
    return EditorKind::Text;
}

// A text field remembers the text it last showed, so that leaving it unchanged edits nothing.
const char* const kShown = "shownText";

void showText(QLineEdit* e, const QString& text) {
    if (e->text() != text) {
        e->setText(text);
        if (!e->hasFocus()) e->setCursorPosition(0);  // a long text (a description) shows its start
    }
    e->setProperty(kShown, text);
}

// Puts `value` into the editor made for it, without reporting an edit.
void showValue(QWidget* w, EditorKind kind, const AttrValue& value) {
    const QSignalBlocker quiet(w);
    switch (kind) {
        case EditorKind::Int: static_cast<QSpinBox*>(w)->setValue(static_cast<int>(std::get<int64_t>(value))); break;
        case EditorKind::Float: static_cast<QDoubleSpinBox*>(w)->setValue(std::get<double>(value)); break;
        case EditorKind::Bool: static_cast<QCheckBox*>(w)->setChecked(std::get<bool>(value)); break;
        case EditorKind::Choice:
            static_cast<QComboBox*>(w)->setCurrentText(QString::fromStdString(std::get<std::string>(value)));
            break;
        case EditorKind::Pair: {
            const auto* pair = std::get_if<std::vector<int64_t>>(&value);
            const int64_t h = pair ? (*pair)[0] : std::get<int64_t>(value), wv = pair ? (*pair)[1] : h;
            const QList<QSpinBox*> boxes = w->findChildren<QSpinBox*>();
            for (QSpinBox* box : boxes) {
                const QSignalBlocker quietBox(box);
                box->setValue(static_cast<int>(box->objectName().endsWith(".w") ? wv : h));
            }
            break;
        }
        case EditorKind::Text:
            showText(static_cast<QLineEdit*>(w), QString::fromStdString(formatAttrValue(value)));
            break;
    }
}

}  // namespace

Inspector::Inspector(QWidget* parent) : QWidget(parent), title_(new QLabel), rows_(new QFormLayout) {
    auto* layout = new QVBoxLayout(this);
    title_->setWordWrap(true);
    layout->addWidget(title_);
    layout->addLayout(rows_);
    layout->addStretch();
    showNode({}, {});
}

QWidget* Inspector::editor(const std::string& attr) const {
    return findChild<QWidget*>(QString::fromStdString("attr:" + attr));
}

void Inspector::showNode(const Document& doc, const std::string& id) {
    const Node* n = id.empty() ? nullptr : doc.graph.find(id);
    const LayerKind* kind = n ? Registry::instance().find(n->kind) : nullptr;
    const ModuleDef* mod = n && !kind ? doc.findModule(n->kind) : nullptr;
    auto current = [&](const std::string& attr, const AttrValue& def) {
        auto it = n->attrs.find(attr);
        return it == n->attrs.end() ? def : it->second;
    };
    // The form's make: which node, and which editor each of its attributes gets. After an edit it is
    // usually the same, and the fields are refilled where they are (rebuilding the form re-lays out the
    // whole window: most of an edit's time) and keep the focus.
    std::string form = n ? id + '\n' + n->kind : "network";
    if (mod)
        for (const auto& [param, def] : mod->params) form += '\n' + param;
    if (kind)
        for (const AttrSpec& spec : kind->attrs)
            form += std::string("\n") + static_cast<char>(editorKind(spec, current(spec.name, spec.def))) + spec.name;
    if (form == form_ && id == node_) return refill(doc, n);
    form_ = form;
    // Rebuilt: the field that has the focus (Tab moved it there) keeps it.
    QString focused;
    if (QWidget* f = QApplication::focusWidget(); f && isAncestorOf(f) && id == node_)
        for (QWidget* w = f; w && w != this; w = w->parentWidget())
            if (w->objectName().startsWith("attr:")) {  // the innermost: one box of a pair
                focused = w->objectName();
                break;
            }
    while (rows_->rowCount() > 0) rows_->removeRow(0);
    node_ = id;
    struct Refocus {
        Inspector* self;
        QString name;
        ~Refocus() {
            // Queued: a widget added to a shown layout is shown by a queued call, and focus given to a
            // widget not yet shown is lost.
            if (name.isEmpty()) return;
            QMetaObject::invokeMethod(
                self,
                [self = QPointer<Inspector>(self), name = name] {
                    if (QWidget* w = self ? self->findChild<QWidget*>(name) : nullptr) w->setFocus(Qt::TabFocusReason);
                },
                Qt::QueuedConnection);
        }
    } refocus{this, focused};
    if (!n) {
        title_->setText(
            tr("<b>The network</b><br><small><i>Select a node to see and edit its attributes.</i></small>"));
        auto* name = new QLineEdit;
        name->setObjectName("network:name");
        auto* description = new QLineEdit;
        description->setObjectName("network:description");
        showText(name, QString::fromStdString(doc.name));
        showText(description, QString::fromStdString(doc.description));
        auto commit = [this, name, description] {
            if (name->text() == name->property(kShown).toString() &&
                description->text() == description->property(kShown).toString())
                return;
            name->setProperty(kShown, name->text());
            description->setProperty(kShown, description->text());
            emit documentEdited(name->text(), description->text());
        };
        connect(name, &QLineEdit::editingFinished, this, commit);
        connect(description, &QLineEdit::editingFinished, this, commit);
        rows_->addRow(tr("name"), name);
        rows_->addRow(tr("description"), description);
        return;
    }
    title_->setText(QString("<b>%1</b> — %2<br><small>%3</small>")
                        .arg(QString::fromStdString(id).toHtmlEscaped(),
                             QString::fromStdString(n->kind).toHtmlEscaped(),
                             QString::fromStdString(kind  ? kind->doc
                                                    : mod ? mod->doc
                                                          : "")
                                 .toHtmlEscaped()));
    const QString nodeId = QString::fromStdString(id);
    auto emitValue = [this, nodeId](const std::string& attr, const AttrValue& v) {
        emit edited(nodeId, QString::fromStdString(attr), v);
    };
    // A text editor: any value, formulas included; checked when the graph is analysed.
    auto textEditor = [&](const std::string& attr, const AttrValue& value) -> QLineEdit* {
        auto* e = new QLineEdit;
        showText(e, QString::fromStdString(formatAttrValue(value)));
        connect(e, &QLineEdit::editingFinished, this, [e, attr, emitValue] {
            if (e->text() == e->property(kShown).toString()) return;
            e->setProperty(kShown, e->text());
            emitValue(attr, parseAttrText(e->text().toStdString()));
        });
        return e;
    };
    auto addRow = [&](const std::string& attr, QWidget* w, const std::string& doc) {
        w->setObjectName(QString::fromStdString("attr:" + attr));
        w->setToolTip(QString::fromStdString(doc));
        rows_->addRow(QString::fromStdString(attr), w);
    };
    // Every node may be conditional: it exists only where its condition holds (a projection
    // shortcut "when stride != 1"); shown last, empty meaning always.
    auto addCondition = [&] {
        auto* e = new QLineEdit;
        showText(e, QString::fromStdString(n->when));
        e->setPlaceholderText(tr("always"));
        connect(e, &QLineEdit::editingFinished, this, [this, e, nodeId] {
            if (e->text() == e->property(kShown).toString()) return;
            e->setProperty(kShown, e->text());
            emit conditionEdited(nodeId, e->text().trimmed());
        });
        addRow("when", e,
               "a condition over the module's parameters (stride != 1); false leaves the node out, its input passing "
               "through");
    };
    if (mod) {
        for (const auto& [param, def] : mod->params)
            addRow(param, textEditor(param, current(param, def)), "module parameter");
        // How many copies in sequence the instance stands for (ResNet's stages): 1 is a single one.
        auto* repeat = new QSpinBox;
        repeat->setRange(1, 1000);
        repeat->setValue(static_cast<int>(std::max<int64_t>(n->repeat, 1)));
        repeat->setKeyboardTracking(false);
        connect(repeat, &QSpinBox::valueChanged, this,
                [this, nodeId](int copies) { emit repeatEdited(nodeId, copies); });
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
            box->setRange(static_cast<int>(std::max<int64_t>(spec.min, INT_MIN)),
                          static_cast<int>(std::min<int64_t>(spec.max, INT_MAX)));
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
                   spec.type == AttrType::Int2 &&
                   (std::holds_alternative<int64_t>(value) || (pair && pair->size() == 2))) {
            // A pair (kernel_size, stride, dilation): height and width as two spin boxes.
            const int64_t h = pair ? (*pair)[0] : std::get<int64_t>(value), wv = pair ? (*pair)[1] : h;
            auto* row = new QWidget;
            auto* layout = new QHBoxLayout(row);
            layout->setContentsMargins(0, 0, 0, 0);
            QSpinBox* boxes[2];
            for (int i = 0; i < 2; ++i) {
                boxes[i] = new QSpinBox;
                boxes[i]->setRange(static_cast<int>(std::max<int64_t>(spec.min, INT_MIN)),
                                   static_cast<int>(std::min<int64_t>(spec.max, INT_MAX)));
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
            const QString numbers =
                spec.type == AttrType::Padding ? "\\d+(\\s*,\\s*\\d+){0,3}" : "\\d+(\\s*,\\s*\\d+)?";
            if (spec.type == AttrType::Int2 || spec.type == AttrType::Padding)
                e->setValidator(new QRegularExpressionValidator(
                    QRegularExpression("\\s*(=.*|" + numbers + "|\\[\\s*" + numbers + "\\s*\\]|\\(\\s*" + numbers +
                                       "\\s*\\)" + (spec.type == AttrType::Padding ? "|same|valid" : "") + ")\\s*"),
                    e));
            w = e;
        }
        addRow(name, w, spec.doc);
    }
    addCondition();
}

void Inspector::refill(const Document& doc, const Node* n) {
    auto field = [this](const std::string& name) { return findChild<QWidget*>(QString::fromStdString(name)); };
    if (!n) {
        if (auto* name = qobject_cast<QLineEdit*>(field("network:name")))
            showText(name, QString::fromStdString(doc.name));
        if (auto* d = qobject_cast<QLineEdit*>(field("network:description")))
            showText(d, QString::fromStdString(doc.description));
        return;
    }
    auto current = [&](const std::string& attr, const AttrValue& def) {
        auto it = n->attrs.find(attr);
        return it == n->attrs.end() ? def : it->second;
    };
    if (const LayerKind* kind = Registry::instance().find(n->kind)) {
        for (const AttrSpec& spec : kind->attrs) {
            const AttrValue value = current(spec.name, spec.def);
            if (QWidget* w = field("attr:" + spec.name)) showValue(w, editorKind(spec, value), value);
        }
    } else if (const ModuleDef* mod = doc.findModule(n->kind)) {
        for (const auto& [param, def] : mod->params)
            if (auto* e = qobject_cast<QLineEdit*>(field("attr:" + param)))
                showText(e, QString::fromStdString(formatAttrValue(current(param, def))));
        if (auto* repeat = qobject_cast<QSpinBox*>(field("attr:repeat"))) {
            const QSignalBlocker quiet(repeat);
            repeat->setValue(static_cast<int>(std::max<int64_t>(n->repeat, 1)));
        }
    }
    if (auto* when = qobject_cast<QLineEdit*>(field("attr:when"))) showText(when, QString::fromStdString(n->when));
}

}  // namespace nw::ui
