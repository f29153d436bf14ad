//! Upstream licence and notice files at the root of a virtio-win source, for
//! `licenses/virtio-win/` on the media.

use super::listing::{fold, SourceFile};
use super::VirtioWin;

/// Words in a root file name that mark it as a licence or notice.
const NOTICE_WORDS: [&str; 4] = ["license", "licence", "notice", "copying"];

impl VirtioWin {
    /// Root licence/notice files (`virtio-win_license.txt`, any `*license*`, `*licence*`,
    /// `*notice*`, `*copying*`), sorted by name; empty if the source has none.
    pub fn notices(&self) -> Vec<SourceFile> {
        self.listing
            .files_in("")
            .into_iter()
            .filter(|f| {
                let n = fold(f.name());
                NOTICE_WORDS.iter().any(|w| n.contains(w))
            })
            .cloned()
            .collect()
    }
}
