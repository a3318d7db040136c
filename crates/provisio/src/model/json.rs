//! Strict JSON reading: like `serde_json::Value`, but a repeated key anywhere is an error rather
//! than a silent "last one wins".

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `bytes` as one JSON value, rejecting duplicate object keys at any depth. The message of
/// the error is fit to show a client.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de).map_err(describe)?;
    de.end().map_err(describe)?;
    Ok(value)
}

fn describe(e: serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json appends " at line L column C" already; keep its words, they point at the text.
    format!("The request body is not valid JSON: {msg}")
}

struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "the property '{key}' appears more than once"
                )));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_json() {
        let v = parse_strict(br#"{"a":[1,{"b":null}],"c":"d"}"#).unwrap();
        assert_eq!(v["c"], "d");
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        let e = parse_strict(br#"{"a":1,"a":2}"#).unwrap_err();
        assert!(e.contains("'a' appears more than once"), "{e}");
        assert!(parse_strict(br#"{"x":{"b":1,"b":1}}"#).is_err());
        assert!(parse_strict(br#"[{"b":1,"b":1}]"#).is_err());
    }

    #[test]
    fn rejects_trailing_data_deep_nesting_and_bad_utf8() {
        assert!(parse_strict(br#"{} {}"#).is_err());
        assert!(parse_strict(&[b'['; 10_000]).is_err());
        assert!(parse_strict(b"\"\xff\"").is_err());
    }
}
