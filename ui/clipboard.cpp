#include "clipboard.h"

#include <QApplication>
#include <QClipboard>
#include <QMimeData>

#include "netw_format.h"

namespace nw::ui {

namespace {
constexpr const char* kNetwMime = "application/x-netwright";
}

void copyToClipboard(const Document& clip) {
    const QByteArray text = QByteArray::fromStdString(serializeNetw(clip));
    auto* mime = new QMimeData;
    mime->setData(kNetwMime, text);
    mime->setText(QString::fromUtf8(text));  // other programs (and other windows) see plain .netw JSON
    QApplication::clipboard()->setMimeData(mime);
}

Clip clipboardNodes() {
    Clip clip;
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    clip.text = mime && mime->hasFormat(kNetwMime) ? mime->data(kNetwMime)
                : mime                             ? mime->text().toUtf8()
                                                   : QByteArray();
    LoadResult parsed = parseNetw(clip.text.toStdString());
    if (!parsed.document) return clip;
    clip.doc = std::move(*parsed.document);
    const auto count = static_cast<double>(std::max<size_t>(clip.doc->graph.nodes.size(), 1));
    for (const Node& n : clip.doc->graph.nodes) {
        clip.centre.x += n.pos.value_or(Point{}).x / count;
        clip.centre.y += n.pos.value_or(Point{}).y / count;
    }
    return clip;
}

}  // namespace nw::ui
