//! Checks a plugin's params schema when its library loads, so a broken
//! schema is reported by `gpu-charts plugins` and not first by a chart that
//! happens to use the item.
//!
//! The schema must be JSON, compile as a JSON Schema (`jsonschema` checks it
//! against its meta-schema), and every property's `default` must satisfy the
//! property's own schema (`type`, `enum`, `minimum`, `maximum`, ...): the
//! host fills defaults in before calling the plugin, so a default that breaks
//! its bounds would reach the plugin as a value the schema forbids.

use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value};

/// Checks `text` as a params schema. The error completes a sentence whose
/// subject is the schema ("is not valid JSON: ...").
pub(crate) fn check_params_schema(text: &str) -> Result<(), String> {
    let schema: Value =
        serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
    if !matches!(schema, Value::Object(_) | Value::Bool(_)) {
        return Err("is not a JSON Schema (an object or a boolean)".to_string());
    }
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| format!("does not compile as a JSON Schema: {e}"))?;
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    for (name, property) in properties {
        let Some(default) = property.get("default") else {
            continue;
        };
        // Validated in place, through the whole schema, so `$ref`s and
        // `$defs` resolve; errors about other properties (`required`) or the
        // object itself are not this default's.
        let instance = Value::Object(Map::from_iter([(name.clone(), default.clone())]));
        let broken = validator.iter_errors(&instance).find(|e| {
            matches!(
                e.instance_path().iter().next(),
                Some(LocationSegment::Property(p)) if p == name.as_str()
            )
        });
        if let Some(e) = broken {
            return Err(format!(
                "gives parameter `{name}` the default {default}, which breaks the parameter's own schema: {e}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_with_sound_defaults_passes() {
        let ok = r##"{"type":"object","properties":{
            "period":{"type":"integer","minimum":1,"maximum":500,"default":14},
            "source":{"type":"string","enum":["open","close"],"default":"close"},
            "k":{"$ref":"#/$defs/k","default":2.0}},
            "$defs":{"k":{"type":"number","exclusiveMinimum":0}},
            "required":["period"],"additionalProperties":false}"##;
        assert_eq!(check_params_schema(ok), Ok(()));
        assert_eq!(check_params_schema("true"), Ok(()));
    }

    #[test]
    fn defaults_that_break_their_bounds_name_the_parameter() {
        for (prop, why) in [
            (r#"{"type":"integer","minimum":1,"default":0}"#, "minimum"),
            (r#"{"type":"integer","maximum":10,"default":11}"#, "maximum"),
            (
                r#"{"type":"string","enum":["a","b"],"default":"c"}"#,
                "enum",
            ),
            (r#"{"type":"integer","default":"14"}"#, "type"),
            (r##"{"$ref":"#/$defs/p","default":-1}"##, "$ref"),
        ] {
            let schema = format!(
                r#"{{"type":"object","properties":{{"period":{prop}}},"$defs":{{"p":{{"minimum":0}}}}}}"#
            );
            let e = check_params_schema(&schema).expect_err(why);
            assert!(
                e.starts_with("gives parameter `period` the default "),
                "{why}: {e}"
            );
        }
    }

    #[test]
    fn schemas_that_do_not_compile_are_refused() {
        let e = check_params_schema(r#"{"type":"integr"}"#).expect_err("bad type");
        assert!(e.starts_with("does not compile as a JSON Schema"), "{e}");
        let e = check_params_schema(r#"{"minimum":"one"}"#).expect_err("bad minimum");
        assert!(e.starts_with("does not compile as a JSON Schema"), "{e}");
        let e = check_params_schema("[1]").expect_err("array");
        assert_eq!(e, "is not a JSON Schema (an object or a boolean)");
        let e = check_params_schema("{").expect_err("not json");
        assert!(e.starts_with("is not valid JSON"), "{e}");
    }
}
