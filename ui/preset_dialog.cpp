#include "preset_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QHeaderView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include "analysis.h"
#include "netw_format.h"

namespace nw::ui {

PresetDialog::PresetDialog(const std::string& presetDir, QWidget* parent)
    : QDialog(parent), table_(new QTableWidget(0, 4)), description_(new QTextBrowser) {
    setWindowTitle(tr("New from preset"));
    table_->setHorizontalHeaderLabels({tr("Network"), tr("Input"), tr("Parameters"), tr("MACs")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    const QDir dir(QString::fromStdString(presetDir));
    for (const QString& file : dir.entryList({"*.netw"}, QDir::Files, QDir::Name)) {
        LoadResult r = loadNetw(dir.filePath(file).toStdString());
        if (!r.document) continue;  // a broken preset is not offered
        const Analysis a = analyze(flatten(*r.document));
        const int row = table_->rowCount();
        table_->insertRow(row);
        auto* name = new QTableWidgetItem(QString::fromStdString(r.document->name));
        name->setData(Qt::UserRole, dir.filePath(file));
        name->setData(Qt::UserRole + 1, QString::fromStdString(r.document->description));
        table_->setItem(row, 0, name);
        table_->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(formatShape(a.inputShape))));
        for (int c : {2, 3}) {
            auto* item =
                new QTableWidgetItem(QString::fromStdString(formatInt(c == 2 ? a.totals.params : a.totals.macs)));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            table_->setItem(row, c, item);
        }
    }
    table_->resizeColumnsToContents();
    connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
        const QTableWidgetItem* item = row >= 0 ? table_->item(row, 0) : nullptr;
        description_->setPlainText(item ? item->data(Qt::UserRole + 1).toString() : QString());
    });
    connect(table_, &QTableWidget::cellDoubleClicked, this, &QDialog::accept);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(table_, 3);
    layout->addWidget(description_, 1);
    layout->addWidget(buttons);
    resize(820, 560);
    if (table_->rowCount() > 0) table_->selectRow(0);
}

std::string PresetDialog::chosenPath() const {
    const QTableWidgetItem* item = table_->currentRow() >= 0 ? table_->item(table_->currentRow(), 0) : nullptr;
    return item ? item->data(Qt::UserRole).toString().toStdString() : std::string();
}

}  // namespace nw::ui
