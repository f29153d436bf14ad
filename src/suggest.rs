//! "Did you mean": the closest known name to one the user typed, for error messages.

/// The candidate closest to `typed` by edit distance (case-insensitive, `-` same as `_`), when
/// it is close enough to be a likely typo: at most a third of the longer name, and at least 1.
pub fn closest<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let t = norm(typed);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = distance(&t, &norm(c));
        let limit = (t.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `"did you mean `x`? "` for the closest candidate, or `""` when none is close: the start of a
/// help text that goes on to list what is known.
pub fn did_you_mean<'a, I>(typed: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    closest(typed, candidates)
        .map(|n| format!("did you mean `{n}`? "))
        .unwrap_or_default()
}

/// A help text for an unknown name: "did you mean `x`? known: a, b, c".
pub fn help<'a, I>(typed: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    let known: Vec<&str> = candidates.clone().into_iter().collect();
    format!(
        "{}known: {}",
        did_you_mean(typed, candidates),
        known.join(", ")
    )
}

/// Levenshtein distance over characters, with adjacent transpositions counting once.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows suffice for the transposition rule (optimal string alignment).
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested_far_ones_not() {
        let keys = ["zip", "iso", "dir", "out_dir", "volume_id"];
        assert_eq!(closest("zipp", keys), Some("zip"));
        assert_eq!(closest("outdir", keys), Some("out_dir"));
        assert_eq!(closest("volume-id", keys), Some("volume_id"));
        assert_eq!(closest("manifest", keys), None);
        assert_eq!(
            closest("virtiowin", ["virtio_win", "os"]),
            Some("virtio_win")
        );
        assert_eq!(closest("viostore", ["viostor", "vioscsi"]), Some("viostor"));
        assert_eq!(distance("ab", "ba"), 1);
        assert!(help("zipp", keys).starts_with("did you mean `zip`?"));
    }
}
