// The system clipboard as the designer uses it: nodes as .netw JSON, under Netwright's own MIME type
// and as plain text, so other windows, other instances and other programs read the same thing.
#pragma once
#include <QByteArray>
#include <optional>

#include "graph.h"

namespace nw::ui {

void copyToClipboard(const Document& clip);  // copyNodes' result

struct Clip {
    QByteArray text;              // as on the clipboard (to tell the same clip pasted again)
    std::optional<Document> doc;  // nullopt when it holds no Netwright nodes
    Point centre;                 // the mean position of its nodes
};
Clip clipboardNodes();

}  // namespace nw::ui
