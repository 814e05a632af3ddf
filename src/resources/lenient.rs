//! Reading the parts of a stored pipeline spec that lists summarize. `pipelineSpec` is free-form
//! in KFP's CRD, so a stored object may hold anything there (`root: null`); a field of an
//! unexpected type is recorded as a problem instead of failing the whole list it came in.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A field that should hold an object (read as `T`) or a string (see [`Text`]); anything else
/// is kept as the problem `is null`, `is a list`, … rather than failing.
#[derive(Debug)]
pub struct Lenient<T> {
    pub value: Option<T>,
    /// What the field held instead, e.g. `is null`.
    pub problem: Option<&'static str>,
}

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient {
            value: None,
            problem: None,
        }
    }
}

impl<T> Lenient<T> {
    fn bad(problem: &'static str) -> Self {
        Lenient {
            value: None,
            problem: Some(problem),
        }
    }
}

/// A string field; anything else is a problem.
pub type Text = Lenient<String>;

/// Which JSON types a field accepts: objects (structs and maps) or strings.
pub trait Shape: Sized {
    const OBJECT: bool;
}

impl Shape for String {
    const OBJECT: bool = false;
}

impl<'de, T: Deserialize<'de> + Shape> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Shape> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if T::OBJECT {
            let value = T::deserialize(MapAccessDeserializer::new(map))?;
            return Ok(Lenient {
                value: Some(value),
                problem: None,
            });
        }
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Lenient::bad("is an object"))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if T::OBJECT {
            return Ok(Lenient::bad("is a string"));
        }
        let value = T::deserialize(serde::de::value::StrDeserializer::<E>::new(v))?;
        Ok(Lenient {
            value: Some(value),
            problem: None,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Lenient::bad("is a list"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is null"))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is null"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Lenient::bad("is a number"))
    }
}

/// `<path> <problem>, not <expected>` when the field held the wrong type.
pub fn describe<T: Shape>(path: &str, field: &Lenient<T>) -> Option<String> {
    let expected = if T::OBJECT { "an object" } else { "a string" };
    field
        .problem
        .map(|problem| format!("{path} {problem}, not {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Inner {
        name: Text,
    }

    impl Shape for Inner {
        const OBJECT: bool = true;
    }

    #[derive(Deserialize, Default, Debug)]
    #[serde(default)]
    struct Outer {
        inner: Lenient<Inner>,
        after: Text,
    }

    fn read(text: &str) -> Outer {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn wrong_types_are_problems_and_reading_goes_on() {
        for (inner, problem) in [
            ("null", "is null"),
            ("[1, {\"a\": [2]}]", "is a list"),
            ("\"x\"", "is a string"),
            ("3.5", "is a number"),
            ("true", "is a boolean"),
        ] {
            let outer = read(&format!("{{\"inner\": {inner}, \"after\": \"ok\"}}"));
            assert_eq!(outer.inner.problem, Some(problem), "{inner}");
            assert_eq!(outer.after.value.as_deref(), Some("ok"), "{inner}");
            assert_eq!(
                describe("spec.inner", &outer.inner),
                Some(format!("spec.inner {problem}, not an object"))
            );
        }
        let nested = read(r#"{"inner": {"name": {"deep": [1]}}, "after": "ok"}"#);
        let name = &nested.inner.value.as_ref().unwrap().name;
        assert_eq!(
            describe("name", name).as_deref(),
            Some("name is an object, not a string")
        );
        assert_eq!(nested.after.value.as_deref(), Some("ok"));
        // From a parsed value too (objects summarized one by one).
        let value = json!({"inner": {"name": "n"}});
        let outer = Outer::deserialize(&value).unwrap();
        assert_eq!(outer.inner.value.unwrap().name.value.as_deref(), Some("n"));
        assert!(
            read("{}").inner.problem.is_none(),
            "a missing field is no problem"
        );
    }
}
