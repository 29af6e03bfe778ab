//! The words of open-coding notes as the offline clusterer reads them: stop words, a light
//! stemmer, and a lexicon of the concepts failure notes are usually about (dates, tools,
//! invented facts, ignored requests, tone, handoff, money, length, language, safety, memory,
//! formatting, refusals, and the constraints users state: diet, amounts, servings, time,
//! budget, accessibility). Notes that share a concept in different words ("made up a fee",
//! "hallucinated a pool") then share a feature. Pure and deterministic.

/// Words that carry no failure meaning (function words, and verbs every note uses).
#[rustfmt::skip]
const STOP: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "was", "it", "its", "that",
    "this", "with", "as", "at", "be", "by", "but", "are", "were", "has", "have", "had", "from",
    "they", "them", "their", "he", "she", "his", "her", "him", "you", "your", "we", "our", "us",
    "i", "me", "my", "so", "if", "then", "than", "when", "which", "who", "what", "there", "here",
    "about", "into", "out", "up", "too", "very", "just", "also", "ai", "bot", "user", "assistant",
    "model", "should", "would", "could", "can", "will", "been", "being", "did", "does", "do",
    "said", "says", "say", "told", "tell", "gave", "give", "got", "get", "gets", "made", "make",
    "makes", "kept", "keep", "keeps", "one", "two", "three", "all", "any", "some", "every", "each",
    "more", "most", "much", "many", "only", "even", "still", "again", "instead", "after", "before",
    "while", "where", "how", "why", "same", "other", "another", "it's", "that's", "reply",
    "replied", "answer", "answered", "answers", "response", "responded", "message", "customer",
    "person", "people", "thing", "way", "like", "though", "not", "no", "never", "nt", "s", "t",
    "don", "doesn", "didn", "isn", "wasn", "aren", "weren", "won", "can't", "cannot", "ok", "yes",
    "now", "per", "via", "vs",
];

/// A concept: the name a person would give the category, and the stems and phrases that say it.
pub struct Concept {
    /// The feature's key.
    pub key: &'static str,
    /// A short noun phrase for a category about it.
    pub name: &'static str,
    /// Stems (after [`stem`]) and two-word phrases (stems joined by a space) that say it.
    pub cues: &'static [&'static str],
}

/// The concepts failure notes are usually about.
#[rustfmt::skip]
pub const CONCEPTS: &[Concept] = &[
    Concept {
        key: "@dates",
        name: "wrong dates or times",
        cues: &[
            "date", "day", "week", "weekday", "weekend", "month", "year", "monday", "tuesday",
            "wednesday", "thursday", "friday", "saturday", "sunday", "tomorrow", "today", "tonight",
            "yesterday", "morning", "afternoon", "evening", "calendar", "schedul", "reschedul",
            "deadline", "timezon", "am", "pm", "january", "february", "march", "april", "may",
            "june", "july", "august", "september", "october", "november", "december", "renewal",
            "appointment", "check-in", "check-out",
        ],
    },
    Concept {
        key: "@lookup",
        name: "tool not called",
        cues: &[
            "tool", "invok", "lookup", "look up", "query", "queri", "search", "verif", "verifi",
            "fetch", "api", "function", "databas", "retriev", "pull", "availab", "inventory",
            "call", "memory answer", "guess", "assum",
        ],
    },
    Concept {
        key: "@invented",
        name: "invented facts",
        cues: &[
            "invent", "made-up", "made up", "make up", "hallucinat", "fabricat", "fake", "fiction",
            "nonexist", "exist", "imaginar", "no source", "cite", "promis", "claim", "assert",
            "nowhere",
        ],
    },
    Concept {
        key: "@ignored",
        name: "ignored what the user asked",
        cues: &[
            "ignor", "disregard", "overlook", "neglect", "despit", "explicit", "wanted", "request",
            "prefer", "preferenc", "constraint", "requir", "requirement", "declin", "respect",
            "asked for", "want", "need",
        ],
    },
    Concept {
        key: "@tone",
        name: "tone",
        cues: &[
            "tone", "rude", "curt", "dismissiv", "cold", "robotic", "sarcast", "condescend",
            "lectur", "passive aggressiv", "aggressiv", "unfriendl", "impatient", "blam", "pushi",
            "pushy", "salesi", "salesy", "casual", "slang", "emoji", "joke", "joki", "jokey",
            "empathi", "empathy", "apologet", "polit", "friendl", "harsh", "snark", "patroniz",
            "wording", "greeting", "feel", "felt", "sound",
        ],
    },
    Concept {
        key: "@handoff",
        name: "no handoff to a human",
        cues: &[
            "human", "real", "agent", "representativ", "staff", "escalat", "transfer", "handoff",
            "hand off", "rout", "connect", "manager", "live chat", "operator", "callback", "hotlin",
            "on-call", "team", "someone", "loop",
        ],
    },
    Concept {
        key: "@money",
        name: "wrong prices or sums",
        cues: &[
            "price", "cost", "total", "sum", "amount", "rate", "tax", "discount", "refund",
            "currenc", "euro", "dollar", "usd", "percent", "percentag", "calculat", "miscalculat",
            "math", "arithmet", "round", "multipli", "subtract", "add", "split", "budget", "expens",
            "cheap", "afford",
        ],
    },
    Concept {
        key: "@length",
        name: "too long",
        cues: &[
            "long", "lengthi", "verbos", "wall text", "rambl", "paragraph", "concis", "brief",
            "short", "filler", "padding", "pad", "bloat", "exhaust", "one-lin", "one sentenc",
            "sentenc", "detail",
        ],
    },
    Concept {
        key: "@language",
        name: "wrong language",
        cues: &[
            "languag", "english", "french", "spanish", "german", "portugues", "japanes", "chines",
            "korean", "arabic", "dutch", "italian", "polish", "translat", "untranslat", "local",
        ],
    },
    Concept {
        key: "@safety",
        name: "unsafe advice",
        cues: &[
            "unsaf", "safe", "safeti", "danger", "risk", "riski", "harm", "illeg", "legal", "medic",
            "health", "raw", "undercook", "temperatur", "poison", "salmonella", "expir", "warn",
            "warning", "evacuat",
        ],
    },
    Concept {
        key: "@memory",
        name: "lost track of the conversation",
        cues: &[
            "forgot", "forget", "forgotten", "rememb", "recal", "earlier", "previous", "already",
            "lost", "track", "context", "memori", "re-ask", "start over", "contradict", "follow-up",
        ],
    },
    Concept {
        key: "@format",
        name: "broken formatting",
        cues: &[
            "format", "markdown", "tabl", "link", "url", "html", "json", "bullet", "list", "head",
            "render", "escap", "placeholder", "templat", "code block", "block", "line break",
            "asterisk", "bracket", "tag",
        ],
    },
    Concept {
        key: "@refusal",
        name: "refused to help",
        cues: &[
            "refus", "won't help", "can't help", "cannot help", "unhelp",
        ],
    },
    Concept {
        key: "@diet",
        name: "dietary restrictions ignored",
        cues: &[
            "vegan", "vegetarian", "gluten", "gluten-fre", "dairy", "nut", "peanut", "allergi",
            "allerg", "kosher", "halal", "keto", "diet", "dietari", "lactos", "celiac", "shellfish",
            "meat", "pork", "beef",
        ],
    },
    Concept {
        key: "@amounts",
        name: "missing quantities",
        cues: &[
            "quantiti", "quantity", "measur", "gram", "cup", "tablespoon", "teaspoon", "tbsp",
            "tsp", "ounc", "oz", "how much", "unit", "weight", "ml", "litr",
        ],
    },
    Concept {
        key: "@servings",
        name: "servings wrong",
        cues: &[
            "serving", "serv", "portion", "guest", "scale", "doubl", "halv", "feed", "yield",
            "batch",
        ],
    },
    Concept {
        key: "@duration",
        name: "time limits ignored",
        cues: &[
            "minut", "hour", "quick", "fast", "slow", "time", "duration", "prep", "weeknight",
            "rush", "hurri", "overnight",
        ],
    },
    Concept {
        key: "@access",
        name: "accessibility needs ignored",
        cues: &[
            "wheelchair", "accessib", "stair", "elevator", "ground floor", "disabl",
        ],
    },
];

/// A note's content words: lowercased, split at non-letters (apostrophes and hyphens kept
/// inside words), stop words and one-letter words dropped.
pub fn words(text: &str) -> Vec<String> {
    // a phrasal verb that is one idea
    let text = text
        .to_lowercase()
        .replace("made up", "made-up")
        .replace("make up", "made-up")
        .replace("making up", "made-up");
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .map(|w| w.strip_suffix("n't").map_or(w, |s| s))
        .map(|w| w.strip_suffix("'s").map_or(w, |s| s))
        .filter(|w| w.chars().count() >= 2 && !STOP.contains(w))
        .map(str::to_owned)
        .collect()
}

/// A light English stemmer: plural, past, gerund, adverb and common derivational endings off
/// ("hallucinated" → "hallucinat", "quantities" → "quantiti", "servings" → "serving").
pub fn stem(word: &str) -> String {
    let w = word;
    for (suffix, keep) in [
        ("ational", "at"),
        ("ations", "at"),
        ("ation", "at"),
        ("iveness", "iv"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("nesses", ""),
        ("ness", ""),
        ("ments", ""),
        ("ment", ""),
        ("ingly", ""),
        ("edly", ""),
        ("ies", "i"),
        ("ied", "i"),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
        ("e", ""),
        ("y", "i"),
    ] {
        if let Some(root) = w.strip_suffix(suffix)
            && root.chars().count() >= 3
            && !(suffix == "s" && (root.ends_with('s') || root.ends_with('u')))
        {
            return format!("{root}{keep}");
        }
    }
    w.to_owned()
}

/// The concepts a note's stems (and two-word phrases of them) say, each once.
pub fn concepts(stems: &[String]) -> Vec<&'static Concept> {
    let mut out: Vec<&'static Concept> = Vec::new();
    let phrases: Vec<String> = stems
        .windows(2)
        .map(|p| format!("{} {}", p[0], p[1]))
        .collect();
    for c in CONCEPTS {
        // cues are written as words or stems: compared stemmed, as the note's words are
        let hit = c.cues.iter().any(|cue| {
            if cue.contains(' ') {
                let cue: Vec<String> = cue.split(' ').map(stem).collect();
                let cue = cue.join(" ");
                phrases.contains(&cue)
            } else {
                let cue = stem(cue);
                stems
                    .iter()
                    .any(|s| *s == cue || (cue.len() >= 5 && s.starts_with(&cue)))
            }
        });
        if hit {
            out.push(c);
        }
    }
    out
}

/// Whether a word is a stop word (never part of a category's name).
pub fn is_stop(word: &str) -> bool {
    STOP.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn keys(note: &str) -> Vec<&'static str> {
        let stems: Vec<String> = words(note).iter().map(|w| stem(w)).collect();
        concepts(&stems).iter().map(|c| c.key).collect()
    }

    #[test]
    fn notes_in_different_words_share_their_concept() {
        assert!(keys("made up a $50 amenity fee").contains(&"@invented"));
        assert!(keys("hallucinated a rooftop pool").contains(&"@invented"));
        assert!(keys("never escalated to a person").contains(&"@handoff"));
        assert!(keys("recipe lists no quantities").contains(&"@amounts"));
        assert!(keys("said the 14th, booking is Friday").contains(&"@dates"));
        assert_eq!(stem("hallucinated"), "hallucinat");
        assert_eq!(stem("quantities"), "quantiti");
        assert_eq!(
            words("didn't call the tool"),
            ["did", "call", "tool"]
                .iter()
                .filter(|w| !is_stop(w))
                .map(|w| (*w).to_owned())
                .collect::<Vec<_>>()
        );
    }
}
