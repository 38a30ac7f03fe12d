// Attribute editors for the selected node, generated from the registry's attribute specs (a module
// instance: from its module's parameters). It edits nothing itself: it reports what was entered.
#pragma once
#include <QWidget>
#include <string>

#include "graph.h"

class QFormLayout;
class QLabel;

namespace nw::ui {

class Inspector : public QWidget {
    Q_OBJECT
public:
    explicit Inspector(QWidget* parent = nullptr);
    // Shows the editors of top-level node `id` of `doc`; with none selected, the network's name and
    // description (objects "network:name", "network:description").
    void showNode(const Document& doc, const std::string& id);
    const std::string& node() const { return node_; }
    QWidget* editor(const std::string& attr) const;  // the editor of one attribute (tests, focus)

signals:
    // `value` is what the person entered; the caller turns it into an edit.
    void edited(const QString& node, const QString& attr, const nw::AttrValue& value);
    // A module instance's copies in sequence (1 = a single instance).
    void repeatEdited(const QString& node, int copies);
    // The node's condition (`when`, a formula over the module's parameters; empty = always there).
    void conditionEdited(const QString& node, const QString& when);
    // With no node selected the inspector shows the network's name and description.
    void documentEdited(const QString& name, const QString& description);

private:
    void refill(const Document& doc, const Node* n);  // the same form: new values in the fields

    std::string node_;
    std::string form_;  // what the rows were made for: node, kind, each attribute's editor
    QLabel* title_;
    QFormLayout* rows_;
};

}  // namespace nw::ui
