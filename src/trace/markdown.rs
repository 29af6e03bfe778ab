//! The Markdown that models write, read as blocks and spans for display: headings, paragraphs,
//! bullet and numbered lists, fenced code, tables and rules; bold, italic, inline code and
//! links. Not CommonMark: a small, forgiving reading of what LLM answers contain, so that
//! `**Security Deposit**` reads as bold text instead of asterisks.

/// A run of inline text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// Plain text.
    Text(String),
    /// `**bold**` or `__bold__`.
    Bold(String),
    /// `*italic*` or `_italic_`.
    Italic(String),
    /// `` `code` ``.
    Code(String),
    /// `[text](url)`.
    Link {
        /// What is shown.
        text: String,
        /// Where it goes.
        url: String,
    },
}

/// A block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `#`–`######`: level and text.
    Heading(u8, Vec<Span>),
    /// Lines of text up to a blank line.
    Paragraph(Vec<Span>),
    /// `- item` / `* item` / `1. item`: depth (by indentation), marker, text.
    Item(usize, String, Vec<Span>),
    /// A fenced code block: language and code.
    Code(String, String),
    /// A table: rows of cells (the header row first).
    Table(Vec<Vec<Vec<Span>>>),
    /// `---`.
    Rule,
}

/// Whether a text uses Markdown enough to be worth rendering as such.
pub fn looks_like_markdown(text: &str) -> bool {
    text.contains("**")
        || text.contains("```")
        || text.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with("# ")
                || t.starts_with("## ")
                || t.starts_with("### ")
                || t.starts_with("- ")
                || t.starts_with("* ")
                || (t.starts_with('|') && t.ends_with('|') && t.len() > 2)
                || numbered(t).is_some()
        })
}

/// `"12. rest"` → `("12.", "rest")`.
fn numbered(t: &str) -> Option<(&str, &str)> {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &t[digits..];
    let rest = rest
        .strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))?;
    Some((&t[..=digits], rest))
}

/// Reads a text as blocks.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let flush = |para: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(spans(&para.join("\n"))));
            para.clear();
        }
    };
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        let indent = (line.len() - t.len()) / 2;
        if let Some(lang) = t.strip_prefix("```") {
            flush(&mut para, &mut blocks);
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            blocks.push(Block::Code(lang.trim().to_owned(), code.join("\n")));
        } else if t.is_empty() {
            flush(&mut para, &mut blocks);
        } else if let Some(level) = heading_level(t) {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Heading(level, spans(t[level as usize..].trim())));
        } else if matches!(t, "---" | "***" | "___") {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Rule);
        } else if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Item(indent, "•".to_owned(), spans(rest)));
        } else if let Some((marker, rest)) = numbered(t) {
            flush(&mut para, &mut blocks);
            blocks.push(Block::Item(indent, marker.to_owned(), spans(rest)));
        } else if t.starts_with('|') {
            flush(&mut para, &mut blocks);
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                let row = lines[i].trim().trim_matches('|');
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                // the separator row (|---|:---:|) is not content
                if !cells
                    .iter()
                    .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
                {
                    rows.push(cells.into_iter().map(spans).collect());
                }
                i += 1;
            }
            blocks.push(Block::Table(rows));
            continue;
        } else {
            para.push(line.trim());
        }
        i += 1;
    }
    flush(&mut para, &mut blocks);
    blocks
}

fn heading_level(t: &str) -> Option<u8> {
    let hashes = t.chars().take_while(|&c| c == '#').count();
    ((1..=6).contains(&hashes) && t[hashes..].starts_with(' ')).then_some(hashes as u8)
}

/// Reads inline Markdown: `**bold**`, `*italic*`, `` `code` ``, `[text](url)`.
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    let flush = |plain: &mut String, out: &mut Vec<Span>| {
        if !plain.is_empty() {
            out.push(Span::Text(std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        // `_` inside a word (snake_case) is not emphasis
        let in_word = plain.chars().last().is_some_and(char::is_alphanumeric);
        let taken = if c == '_' && in_word {
            None
        } else if rest.starts_with("**") || rest.starts_with("__") {
            delimited(&rest[2..], &rest[..2]).map(|(inner, after)| (Span::Bold(inner), after))
        } else if c == '`' {
            delimited(&rest[1..], "`").map(|(inner, after)| (Span::Code(inner), after))
        } else if (c == '*' || c == '_') && !rest[1..].starts_with(' ') {
            delimited(&rest[1..], &rest[..1]).map(|(inner, after)| (Span::Italic(inner), after))
        } else if c == '[' {
            link(rest)
        } else {
            None
        };
        match taken {
            Some((span, after)) => {
                flush(&mut plain, &mut out);
                out.push(span);
                rest = after;
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    flush(&mut plain, &mut out);
    out
}

/// The text up to the closing `delim` on the same line, and what follows it.
fn delimited<'a>(rest: &'a str, delim: &str) -> Option<(String, &'a str)> {
    let end = rest.find(delim)?;
    let inner = &rest[..end];
    (!inner.is_empty() && !inner.contains('\n') && !inner.ends_with(' '))
        .then(|| (inner.to_owned(), &rest[end + delim.len()..]))
}

/// `[text](url)` at the start of `rest`.
fn link(rest: &str) -> Option<(Span, &str)> {
    let close = rest.find("](")?;
    let text = &rest[1..close];
    let after = &rest[close + 2..];
    let end = after.find(')')?;
    let url = &after[..end];
    (!text.contains('\n') && !url.contains(char::is_whitespace) && !url.is_empty()).then(|| {
        (
            Span::Link {
                text: text.to_owned(),
                url: url.to_owned(),
            },
            &after[end + 1..],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn text(s: &str) -> Span {
        Span::Text(s.into())
    }

    #[test]
    fn inline_spans() {
        assert_eq!(
            spans(
                "**Security Deposit**: $500, *refundable*, see `policy` or [the site](https://x.io/a)."
            ),
            [
                Span::Bold("Security Deposit".into()),
                text(": $500, "),
                Span::Italic("refundable".into()),
                text(", see "),
                Span::Code("policy".into()),
                text(" or "),
                Span::Link {
                    text: "the site".into(),
                    url: "https://x.io/a".into()
                },
                text("."),
            ]
        );
        // a lone asterisk or a price is text
        assert_eq!(spans("5 * 3 costs $2"), [text("5 * 3 costs $2")]);
        assert_eq!(spans("snake_case_name"), [text("snake_case_name")]);
    }

    #[test]
    fn blocks() {
        let md = "## Fees\n\nA **deposit** applies.\nIt is refundable.\n\n- one\n  - nested\n1. first\n\n```json\n{\"a\": 1}\n```\n| col | n |\n|---|---|\n| a | 1 |\n---";
        let b = parse(md);
        assert_eq!(b[0], Block::Heading(2, vec![text("Fees")]));
        assert_eq!(
            b[1],
            Block::Paragraph(vec![
                text("A "),
                Span::Bold("deposit".into()),
                text(" applies.\nIt is refundable.")
            ])
        );
        assert_eq!(b[2], Block::Item(0, "•".into(), vec![text("one")]));
        assert_eq!(b[3], Block::Item(1, "•".into(), vec![text("nested")]));
        assert_eq!(b[4], Block::Item(0, "1.".into(), vec![text("first")]));
        assert_eq!(b[5], Block::Code("json".into(), "{\"a\": 1}".into()));
        assert_eq!(
            b[6],
            Block::Table(vec![
                vec![vec![text("col")], vec![text("n")]],
                vec![vec![text("a")], vec![text("1")]],
            ])
        );
        assert_eq!(b[7], Block::Rule);
        assert!(looks_like_markdown(md));
        assert!(!looks_like_markdown("Just a sec."));
    }
}
