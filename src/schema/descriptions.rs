//! The `description` texts of the bundled definitions. `scripts/update-schemas` keeps them out
//! of the per-version schemas, which every `kplan` run parses, and in one artefact shared by all
//! versions, which only the OpenAPI documents of `kplan serve` read (`kubectl explain` prints
//! them), so it is decompressed only when one is first asked for.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::KubeVersion;

const COMPRESSED: &[u8] = include_bytes!("../../schemas/descriptions.json.zst");

/// Definition name → (JSON pointer inside the definition, text).
#[derive(Debug, Default)]
pub struct Descriptions {
    by_definition: HashMap<String, Vec<(String, String)>>,
}

impl Descriptions {
    /// The texts of one bundled version; `None` for a version without descriptions.
    pub fn load(version: KubeVersion) -> Option<Self> {
        let mut bytes = Vec::with_capacity(2 << 20);
        ruzstd::decoding::StreamingDecoder::new(COMPRESSED)
            .ok()?
            .read_to_end(&mut bytes)
            .ok()?;
        let file: File = File::deserialize_for(&bytes, &version.to_string())?;
        let by_definition = file
            .index
            .into_iter()
            .map(|(name, pointers)| {
                let texts = pointers
                    .into_iter()
                    .filter_map(|(pointer, i)| Some((pointer, file.texts.get(i)?.clone())))
                    .collect();
                (name, texts)
            })
            .collect();
        Some(Self { by_definition })
    }

    /// Puts the texts back into a definition as it is in the bundled schemas.
    pub fn apply(&self, name: &str, definition: &mut Value) {
        for (pointer, text) in self.by_definition.get(name).into_iter().flatten() {
            if let Some(node) = definition
                .pointer_mut(pointer)
                .and_then(Value::as_object_mut)
            {
                node.insert("description".into(), Value::String(text.clone()));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_definition.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_definition.is_empty()
    }
}

type Index = HashMap<String, HashMap<String, usize>>;

/// The artefact, with the index of one version only: the other versions' indexes are skipped
/// unparsed, which halves the load time.
struct File {
    texts: Vec<String>,
    index: Index,
}

impl File {
    fn deserialize_for(bytes: &[u8], version: &str) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let file = FileSeed { version }.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(Self {
            texts: file.0,
            index: file.1?,
        })
    }
}

struct FileSeed<'a> {
    version: &'a str,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = (Vec<String>, Option<Index>);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = (Vec<String>, Option<Index>);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("{\"texts\": [...], \"versions\": {...}}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut texts = Vec::new();
        let mut index = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "texts" => texts = map.next_value()?,
                "versions" => index = map.next_value_seed(VersionSeed(self.version))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((texts, index))
    }
}

struct VersionSeed<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for VersionSeed<'_> {
    type Value = Option<Index>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for VersionSeed<'_> {
    type Value = Option<Index>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of versions")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0 {
                found = Some(map.next_value::<Index>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::BUNDLED_VERSIONS;

    #[test]
    fn every_bundled_version_has_descriptions_where_explain_prints_them() {
        for version in BUNDLED_VERSIONS {
            let d = Descriptions::load(version).unwrap();
            assert!(d.len() > 500, "{version}: {}", d.len());
            let mut def = serde_json::json!({"properties": {"strategy": {"$ref": "x"}}});
            d.apply("io.k8s.api.apps.v1.DeploymentSpec", &mut def);
            assert!(
                def["description"].as_str().unwrap().contains("Deployment"),
                "{version}"
            );
            assert!(
                def["properties"]["strategy"]["description"]
                    .as_str()
                    .unwrap()
                    .contains("strategy"),
                "{version}"
            );
        }
    }

    #[test]
    fn an_unbundled_version_has_none() {
        assert!(Descriptions::load(KubeVersion::new(1, 2)).is_none());
    }
}
