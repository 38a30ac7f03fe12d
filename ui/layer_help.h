// Layer help (F1, and the palette's "Help"): each kind's documentation as the registry declares it —
// what it does, its ports, attributes with defaults and ranges, and its shape, parameter and MAC
// formulas. Nothing here is written per kind: a new kind documents itself.
#pragma once
#include <QDialog>
#include <string>

class QListWidget;
class QTextBrowser;

namespace nw {
struct LayerKind;
}

namespace nw::ui {

class LayerHelp : public QDialog {
    Q_OBJECT
public:
    explicit LayerHelp(QWidget* parent = nullptr);
    void showKind(const std::string& kind);  // unknown names show the first kind
    std::string kind() const;                // the one shown
    QTextBrowser* page() const { return page_; }
    static QString html(const LayerKind& kind);

private:
    QListWidget* kinds_;
    QTextBrowser* page_;
};

}  // namespace nw::ui
