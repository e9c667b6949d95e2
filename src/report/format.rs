use std::str::FromStr;

/// Output formats of `kplan validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: findings with the source line underlined (colour in a terminal).
    Text,
    /// The versioned contract in `docs/output.md`.
    Json,
    /// JUnit XML, one testcase per resource.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…,line=…::`).
    Github,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["text", "json", "junit", "sarif", "github"];
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "text" => Format::Text,
            "json" => Format::Json,
            "junit" => Format::Junit,
            "sarif" => Format::Sarif,
            "github" => Format::Github,
            other => {
                return Err(format!(
                    "unknown output format `{other}` (expected one of: {})",
                    Self::NAMES.join(", ")
                ));
            }
        })
    }
}
