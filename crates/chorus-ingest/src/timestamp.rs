use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// Reads a time as sources write it: RFC 3339, `YYYY-MM-DD HH:MM:SS` (taken as UTC), a bare
/// date, or Unix time in seconds, milliseconds or microseconds (as a number or a numeric string).
pub(crate) fn parse_time(value: &Value) -> Result<Option<DateTime<Utc>>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => number
            .as_f64()
            .and_then(from_unix)
            .map(Some)
            .ok_or_else(|| format!("{number} is not a Unix time")),
        Value::String(text) => parse_time_text(text.trim()).map(Some),
        other => Err(format!("expected a time, found {}", kind_of(other))),
    }
}

fn parse_time_text(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    // Parquet timestamps rendered as text: "2025-03-01 12:00:00.000 +00:00".
    for pattern in ["%Y-%m-%d %H:%M:%S%.f %:z", "%Y-%m-%d %H:%M:%S%.f%:z"] {
        if let Ok(time) = DateTime::parse_from_str(text, pattern) {
            return Ok(time.with_timezone(&Utc));
        }
    }
    for pattern in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, pattern) {
            return Ok(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(midnight) = date.and_hms_opt(0, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&midnight));
    }
    if let Some(time) = text.parse::<f64>().ok().and_then(from_unix) {
        return Ok(time);
    }
    Err(format!(
        "{text:?} is not a time (expected RFC 3339, YYYY-MM-DD HH:MM:SS or Unix time)"
    ))
}

/// Seconds, milliseconds, microseconds or nanoseconds (OpenTelemetry) since 1970, told apart
/// by magnitude: no conversation predates 1973 (1e11 ms) or postdates 5138 (1e11 s).
fn from_unix(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let micros = if value < 1e11 {
        value * 1e6
    } else if value < 1e14 {
        value * 1e3
    } else if value < 1e17 {
        value
    } else {
        value / 1e3
    };
    DateTime::from_timestamp_micros(micros.round() as i64)
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(value: Value) -> String {
        parse_time(&value).unwrap().unwrap().to_rfc3339()
    }

    #[test]
    fn common_forms() {
        assert_eq!(
            parsed(json!("2024-03-01T10:00:00Z")),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(
            parsed(json!("2024-03-01T12:00:00+02:00")),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(
            parsed(json!("2024-03-01 10:00:00")),
            "2024-03-01T10:00:00+00:00"
        );
        assert_eq!(parsed(json!("2024-03-01")), "2024-03-01T00:00:00+00:00");
        assert_eq!(parsed(json!(1709287200)), "2024-03-01T10:00:00+00:00");
        assert_eq!(parsed(json!(1709287200000u64)), "2024-03-01T10:00:00+00:00");
        assert_eq!(parsed(json!(1709287200.5)), "2024-03-01T10:00:00.500+00:00");
        assert_eq!(parsed(json!("1709287200")), "2024-03-01T10:00:00+00:00");
        assert_eq!(
            parsed(json!("2024-03-01 12:00:00.000 +02:00")),
            "2024-03-01T10:00:00+00:00"
        );
    }

    #[test]
    fn garbage_is_an_error_and_null_is_absent() {
        assert!(parse_time(&json!("yesterday")).is_err());
        assert!(parse_time(&json!({"t": 1})).is_err());
        assert!(parse_time(&json!(-5)).is_err());
        assert_eq!(parse_time(&json!(null)).unwrap(), None);
    }
}
