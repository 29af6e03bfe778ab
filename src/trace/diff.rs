//! Word-level differences between two texts (an output before and after a fix, two traces'
//! answers): the longest common subsequence of their words, whitespace kept with each word.

/// A run of text, and whether it is in both texts, only the first, or only the second.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// In both.
    Same(&'a str),
    /// Only in the first text.
    Removed(&'a str),
    /// Only in the second text.
    Added(&'a str),
}

/// The most words each side may have for a word diff (the table is their product); longer
/// texts are compared line by line.
pub const MAX_WORDS: usize = 3_000;

/// Words with the whitespace that follows each.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&text[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The differences from `a` to `b`, word by word (line by line past [`MAX_WORDS`]).
pub fn words<'a>(a: &'a str, b: &'a str) -> Vec<Piece<'a>> {
    let (ta, tb) = (tokens(a), tokens(b));
    if ta.len() > MAX_WORDS || tb.len() > MAX_WORDS {
        let lines = |t: &'a str| t.split_inclusive('\n').collect::<Vec<_>>();
        return lcs(&lines(a), &lines(b));
    }
    lcs(&ta, &tb)
}

/// Compares tokens by their word (the whitespace after a word does not make it differ).
fn same(x: &str, y: &str) -> bool {
    x.trim_end() == y.trim_end()
}

fn lcs<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Piece<'a>> {
    let (n, m) = (a.len(), b.len());
    // table[i][j]: the LCS length of a[i..] and b[j..]
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if same(a[i], b[j]) {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n && j < m {
        if same(a[i], b[j]) {
            out.push(Piece::Same(b[j]));
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            out.push(Piece::Removed(a[i]));
            i += 1;
        } else {
            out.push(Piece::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|t| Piece::Removed(t)));
    out.extend(b[j..].iter().map(|t| Piece::Added(t)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn marks_the_words_that_changed() {
        let d = words(
            "Your flight is on Friday at noon.",
            "Your flight is on Thursday at noon, gate C4.",
        );
        assert!(d.contains(&Piece::Removed("Friday ")));
        assert!(d.contains(&Piece::Added("Thursday ")));
        assert!(d.contains(&Piece::Same("Your ")));
        let added: String = d
            .iter()
            .filter_map(|p| match p {
                Piece::Added(t) => Some(*t),
                _ => None,
            })
            .collect();
        assert_eq!(added, "Thursday noon, gate C4.");
        // rebuilding either side from the pieces gives it back
        let b: String = d
            .iter()
            .filter_map(|p| match p {
                Piece::Same(t) | Piece::Added(t) => Some(*t),
                Piece::Removed(_) => None,
            })
            .collect();
        assert_eq!(b, "Your flight is on Thursday at noon, gate C4.");
    }

    #[test]
    fn identical_and_empty_texts() {
        assert!(
            words("a b", "a b")
                .iter()
                .all(|p| matches!(p, Piece::Same(_)))
        );
        assert_eq!(words("", "x"), [Piece::Added("x")]);
        assert_eq!(words("x", ""), [Piece::Removed("x")]);
    }
}
