//! The layers depend downwards only: the token types, scopes, verification
//! and keys never name the HTTP pipeline (`http`) or the framework
//! adapters (`web`), and the pipeline never names an adapter.

use std::path::{Path, PathBuf};

fn sources(under: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![under.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Every line of `files` that names one of `forbidden` modules of the crate.
fn offending(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if forbidden.iter().any(|m| code.contains(&format!("crate::{m}")) || code.contains(&format!("super::{m}")))
            {
                found.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn verification_never_imports_from_the_http_side() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("core/src");
    let mut files = Vec::new();
    for dir in ["verify", "keys", "remote"] {
        files.extend(sources(&src.join(dir)));
    }
    for file in ["token.rs", "scope.rs", "claims.rs", "error.rs"] {
        files.push(src.join(file));
    }
    assert!(files.len() > 10, "{files:?}");
    assert_eq!(offending(&files, &["http", "web"]), Vec::<String>::new());
}

#[test]
fn the_http_pipeline_never_imports_an_adapter() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("core/src/http");
    let files = sources(&src);
    assert!(files.len() >= 3, "{files:?}");
    assert_eq!(offending(&files, &["web"]), Vec::<String>::new());
}
