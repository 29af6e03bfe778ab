//! Borrowing JSON access: a record's top-level fields as raw JSON text, and scalar classification.
//!
//! The loader never builds a `serde_json::Value` tree for a whole record: it borrows each field's
//! original text (`RawValue`) and only decodes the scalars that become metadata cells.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON value's text as the record has it (no whitespace around it), borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a>(pub(super) &'a str);

impl<'a> Raw<'a> {
    /// The value's JSON text.
    pub fn get(self) -> &'a str {
        self.0
    }
}

impl<'a> From<&'a RawValue> for Raw<'a> {
    fn from(v: &'a RawValue) -> Raw<'a> {
        Raw(v.get())
    }
}

/// A JSON object whose values are kept as borrowed raw JSON text, in document order.
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    /// `(key, raw value)` pairs in the order they appear.
    pub fields: Vec<(Cow<'a, str>, Raw<'a>)>,
}

impl<'a> RawObject<'a> {
    /// Parses `text` as one JSON object. Fails on anything that is not an object.
    ///
    /// The scanner ([`super::scan`]) reads what it accepts; the rest goes to serde_json, which
    /// reads it or says what is wrong and where.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        match super::scan::object_fields(text) {
            Some(fields) => Ok(RawObject { fields }),
            None => RawObject::parse_serde(text),
        }
    }

    /// [`RawObject::parse`] reusing `spare`'s allocation (the fields of a record read before).
    pub fn parse_reusing(
        text: &'a str,
        spare: Vec<(Cow<'a, str>, Raw<'a>)>,
    ) -> Result<Self, serde_json::Error> {
        match super::scan::object_fields_into(text, spare) {
            Some(fields) => Ok(RawObject { fields }),
            None => RawObject::parse_serde(text),
        }
    }

    /// [`RawObject::parse`] by serde_json alone.
    pub(super) fn parse_serde(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The raw value of `key`, if present (the last one wins for duplicate keys, as in serde_json).
    pub fn get(&self, key: &str) -> Option<Raw<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| *v)
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor;
        impl<'de> Visitor<'de> for ObjVisitor {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let value: &'de RawValue = map.next_value()?;
                    fields.push((key.0, Raw::from(value)));
                }
                Ok(RawObject { fields })
            }
        }
        deserializer.deserialize_map(ObjVisitor)
    }
}

/// What kind of JSON value a raw text is, judged by its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

/// The kind of a raw JSON value (serde_json's `RawValue` has no leading whitespace).
pub fn kind_of(raw: Raw<'_>) -> JsonKind {
    match raw.get().as_bytes().first() {
        Some(b'n') => JsonKind::Null,
        Some(b't' | b'f') => JsonKind::Bool,
        Some(b'"') => JsonKind::String,
        Some(b'[') => JsonKind::Array,
        Some(b'{') => JsonKind::Object,
        _ => JsonKind::Number,
    }
}

/// One metadata cell, decoded from raw JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// JSON `null` or a missing field.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number that fits an `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string (unescaped).
    Str(Box<str>),
    /// An array or object kept as its compact JSON text.
    Json(Box<str>),
}

impl Scalar {
    /// Decodes a raw JSON value into a metadata cell. Never fails: undecodable text is kept as JSON text.
    pub fn from_raw(raw: Raw<'_>) -> Scalar {
        let text = raw.get();
        match kind_of(raw) {
            JsonKind::Null => Scalar::Null,
            JsonKind::Bool => Scalar::Bool(text.starts_with('t')),
            JsonKind::String => match serde_json::from_str::<Cow<'_, str>>(text) {
                Ok(s) => Scalar::Str(s.into_owned().into_boxed_str()),
                Err(_) => Scalar::Json(text.into()),
            },
            JsonKind::Number => {
                if let Ok(i) = text.parse::<i64>() {
                    Scalar::Int(i)
                } else if let Ok(f) = text.parse::<f64>() {
                    Scalar::Float(f)
                } else {
                    Scalar::Json(text.into())
                }
            }
            JsonKind::Array | JsonKind::Object => Scalar::Json(text.into()),
        }
    }

    /// The cell as display text (`None` for null).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Str(s) | Scalar::Json(s) => Some(s.to_string()),
        }
    }
}

/// Byte range of `inner` inside `outer`; `inner` must be a sub-slice of `outer`.
pub fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn parses_fields_in_order_with_escaped_keys() {
        let obj = RawObject::parse(r#"{"a\"b": 1, "c": {"d": [1,2]}, "e": "x"}"#).unwrap();
        let keys: Vec<&str> = obj.fields.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["a\"b", "c", "e"]);
        assert_eq!(obj.get("c").unwrap().get(), r#"{"d": [1,2]}"#);
    }

    #[test]
    fn rejects_non_objects() {
        assert!(RawObject::parse("[1,2]").is_err());
        assert!(RawObject::parse("42").is_err());
        assert!(RawObject::parse("{\"a\":").is_err());
    }

    #[test]
    fn classifies_scalars() {
        let obj = RawObject::parse(
            r#"{"n":null,"t":true,"i":-3,"f":2.5,"big":1e400,"s":"h\u00e9","a":[1],"o":{}}"#,
        )
        .unwrap();
        let get = |k| Scalar::from_raw(obj.get(k).unwrap());
        assert_eq!(get("n"), Scalar::Null);
        assert_eq!(get("t"), Scalar::Bool(true));
        assert_eq!(get("i"), Scalar::Int(-3));
        assert_eq!(get("f"), Scalar::Float(2.5));
        assert_eq!(get("s"), Scalar::Str("hé".into()));
        assert_eq!(get("a"), Scalar::Json("[1]".into()));
        assert_eq!(get("o"), Scalar::Json("{}".into()));
        assert!(matches!(get("big"), Scalar::Float(_) | Scalar::Json(_)));
    }
}
