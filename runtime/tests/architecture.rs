//! Dependencies point one way: `plugins/* → plugin-api ← runtime`.
//! No plugin depends on the runtime, the runtime on no plugin crate, and
//! plugin-api on nothing at all. The one exception under `plugins/` is the
//! kit (`plugins/kit`, `gpu-charts-plugin-kit`): an rlib of helpers that
//! plugins may link; it depends on plugin-api only among the project's
//! crates, is not loadable, and the runtime does not link it either.

mod common;

use std::path::Path;

fn deps(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let mut out = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(section).and_then(|v| v.as_table()) {
            out.extend(t.keys().cloned());
        }
    }
    out
}

#[test]
fn dependencies_point_one_way() {
    let repo = common::repo();
    let api = deps(&repo.join("plugin-api/Cargo.toml"));
    assert!(
        api.is_empty(),
        "plugin-api must stay dependency-free, has {api:?}"
    );

    let runtime = deps(&repo.join("runtime/Cargo.toml"));
    assert!(runtime.contains(&"gpu-charts-plugin-api".to_string()));
    let bad: Vec<&String> = runtime
        .iter()
        .filter(|d| d.starts_with("gpu-charts-plugin-") && *d != "gpu-charts-plugin-api")
        .collect();
    assert!(
        bad.is_empty(),
        "the runtime links plugin crates {bad:?}; it must find them on disk"
    );

    let kit_dir = repo.join("plugins/kit");
    let kit_manifest = kit_dir.join("Cargo.toml");
    let kit = deps(&kit_manifest);
    assert!(
        kit.contains(&"gpu-charts-plugin-api".to_string()),
        "the plugin kit must build on plugin-api, has {kit:?}"
    );
    let bad: Vec<&String> = kit
        .iter()
        .filter(|d| {
            *d == "gpu-charts"
                || (d.starts_with("gpu-charts-plugin-") && *d != "gpu-charts-plugin-api")
        })
        .collect();
    assert!(
        bad.is_empty(),
        "the plugin kit depends on {bad:?}; it may use plugin-api only"
    );
    let kit_doc: toml::Table =
        toml::from_str(&std::fs::read_to_string(&kit_manifest).unwrap()).unwrap();
    assert_eq!(
        kit_doc["package"]["name"].as_str(),
        Some("gpu-charts-plugin-kit"),
        "plugins/kit must be the gpu-charts-plugin-kit crate"
    );
    let kit_types = kit_doc
        .get("lib")
        .and_then(|l| l.get("crate-type"))
        .and_then(|t| t.as_array())
        .expect("plugins/kit sets [lib] crate-type");
    assert!(
        kit_types.iter().all(|t| t.as_str() == Some("rlib")),
        "the plugin kit is linked into plugins, never loaded: rlib only, has {kit_types:?}"
    );

    let mut plugins = 0;
    for entry in std::fs::read_dir(repo.join("plugins")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() || dir == kit_dir {
            continue;
        }
        plugins += 1;
        let d = deps(&manifest);
        assert!(
            d.contains(&"gpu-charts-plugin-api".to_string()),
            "{} must use plugin-api",
            manifest.display()
        );
        let bad: Vec<&String> = d
            .iter()
            .filter(|d| {
                *d == "gpu-charts"
                    || (d.starts_with("gpu-charts-plugin-")
                        && *d != "gpu-charts-plugin-api"
                        && *d != "gpu-charts-plugin-kit")
            })
            .collect();
        assert!(bad.is_empty(), "{} depends on {bad:?}", manifest.display());
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.contains("\"cdylib\""),
            "{} must build a loadable library",
            manifest.display()
        );
    }
    assert!(plugins >= 7, "found {plugins} plugin crates");
}

/// Module order inside the runtime: `lib.rs` documents the layers (`a` →
/// `b` → ..., each may use only those before it; `a`/`b` share a layer and
/// do not use each other) and any `mod.rs` may document the order of its
/// own modules the same way. Every `crate::`/`super::` path outside tests
/// must point to an earlier layer, or to a leaf the docs name (`x::y` is a
/// leaf: usable by all, using nothing of the crate).
mod module_order {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    /// Uses that break the order today and are being removed by other work
    /// (each entry: from-module prefix, to-module prefix, why). An entry that
    /// no longer matches anything fails the test: delete it.
    const KNOWN: &[(&str, &str, &str)] = &[];

    /// A documented order: layers (alternatives within a layer) and leaves.
    #[derive(Debug, Default)]
    struct Order {
        layers: Vec<Vec<String>>,
        leaves: Vec<Vec<String>>,
    }

    /// Parses `a` → `b`/`c` → ... from the `//!` lines after the one saying
    /// "each may use only those listed before it", up to the first line
    /// that ends with a full stop; `(`x::y` is a leaf ...)` adds a leaf.
    fn parse_order(file: &Path) -> Option<Order> {
        let text = std::fs::read_to_string(file).ok()?;
        let doc: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
            .map(|l| l.trim_start_matches("//!").trim())
            .collect();
        let start = doc
            .iter()
            .position(|l| l.contains("each may use only those listed before it"))?;
        let mut chain = String::new();
        for l in &doc[start + 1..] {
            chain.push(' ');
            chain.push_str(l);
            if l.ends_with('.') || l.ends_with(".)") {
                break;
            }
        }
        let mut order = Order::default();
        let (main, notes) = chain.split_once('(').unwrap_or((&chain, ""));
        for layer in main.split('→') {
            let names: Vec<String> = ticked(layer);
            if !names.is_empty() {
                order.layers.push(names);
            }
        }
        if notes.contains("is a leaf") {
            for leaf in ticked(notes.split("is a leaf").next().unwrap_or("")) {
                order
                    .leaves
                    .push(leaf.split("::").map(str::to_string).collect());
            }
        }
        Some(order)
    }

    /// The names in backticks in `s`.
    fn ticked(s: &str) -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(|n| n.trim().to_string())
            .collect()
    }

    /// The module path of a source file (`scene/model/plots.rs` →
    /// `[scene, model, plots]`; `mod.rs` and `lib.rs` name their folder).
    fn module_of(src: &Path, file: &Path) -> Vec<String> {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
            parts.pop();
        }
        parts
    }

    /// The source with comments, string contents and `#[cfg(test)]` items
    /// removed.
    fn code_of(text: &str) -> String {
        let mut out = String::new();
        let mut skip_depth: Option<i32> = None;
        let mut depth = 0i32;
        let mut pending_test = false;
        for line in text.lines() {
            let code = strip_line(line);
            let t = code.trim();
            if skip_depth.is_none() && t.starts_with("#[cfg(test)]") {
                pending_test = true;
                continue;
            }
            let opens = code.matches('{').count() as i32;
            let closes = code.matches('}').count() as i32;
            if pending_test && skip_depth.is_none() {
                if t.ends_with(';') && opens == 0 {
                    // `#[cfg(test)] mod tests;` or a test-only `use`.
                    pending_test = false;
                    continue;
                }
                if opens > 0 {
                    skip_depth = Some(depth);
                    pending_test = false;
                }
            }
            depth += opens - closes;
            if let Some(d) = skip_depth {
                if depth <= d {
                    skip_depth = None;
                }
                continue;
            }
            out.push_str(&code);
            out.push('\n');
        }
        out
    }

    /// One line without its `//` comment and with string contents blanked.
    fn strip_line(line: &str) -> String {
        let mut out = String::new();
        let mut in_str = false;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                    out.push('"');
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' {
                in_str = true;
                prev = ' ';
            }
            out.push(c);
        }
        out
    }

    /// Every module path a file's code names: `crate::a::b`, `super::x`
    /// (resolved against the file's module), including the items of
    /// `use crate::a::{b, c::d}` groups.
    fn uses_of(module: &[String], is_mod_file: bool, code: &str) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let bytes: Vec<char> = code.chars().collect();
        let s: String = bytes.iter().collect();
        for (kw, base) in [("crate::", None), ("super::", Some(()))] {
            let mut from = 0;
            while let Some(i) = s[from..].find(kw) {
                let at = from + i;
                from = at + kw.len();
                let before = s[..at].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == ':' {
                    continue;
                }
                let mut path: Vec<String> = match base {
                    None => Vec::new(),
                    Some(()) => {
                        // `super` of a `mod.rs` is its folder's parent.
                        let mut p = module.to_vec();
                        if !is_mod_file || !p.is_empty() {
                            p.pop();
                        }
                        p
                    }
                };
                let rest = &s[from..];
                let mut chain = rest;
                while let Some(r) = chain.strip_prefix("super::") {
                    path.pop();
                    chain = r;
                }
                let seg: String = chain
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let seg = seg.trim_end_matches(':');
                let mut p = path.clone();
                p.extend(
                    seg.split("::")
                        .filter(|x| !x.is_empty())
                        .map(str::to_string),
                );
                let after = &chain[seg.len()..];
                if let Some(group) = after.strip_prefix("::{") {
                    // One level of braces is enough for this crate's style.
                    let inner: String = group.chars().take_while(|c| *c != '}').collect();
                    for item in inner.split(',') {
                        let item = item.trim();
                        let head = item.split("::").next().unwrap_or("").trim();
                        if head.is_empty() || head == "self" || head == "{" {
                            out.push(p.clone());
                            continue;
                        }
                        let mut q = p.clone();
                        q.extend(item.split("::").map(|x| x.trim().to_string()));
                        out.push(q);
                    }
                } else {
                    out.push(p);
                }
            }
        }
        out
    }

    fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                // `tests` folders hold `#[cfg(test)]` modules.
                if p.file_name().is_some_and(|n| n != "tests") {
                    rs_files(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// Why `from` may not use `to`, if it may not.
    fn violation(
        orders: &BTreeMap<Vec<String>, Order>,
        from: &[String],
        to: &[String],
    ) -> Option<String> {
        // The deepest documented scope holding both.
        let mut common = 0;
        while common < from.len() && common < to.len() && from[common] == to[common] {
            common += 1;
        }
        for depth in (0..=common).rev() {
            let Some(order) = orders.get(&from[..depth].to_vec()) else {
                continue;
            };
            if order
                .leaves
                .iter()
                .any(|l| to.len() >= l.len() + depth && to[depth..depth + l.len()] == l[..])
            {
                return None;
            }
            if depth == common {
                // Same module, or a module using its own scope's re-exports.
                let (Some(a), Some(b)) = (from.get(depth), to.get(depth)) else {
                    return None;
                };
                let layer = |n: &str| order.layers.iter().position(|l| l.iter().any(|x| x == n));
                let (Some(la), Some(lb)) = (layer(a), layer(b)) else {
                    // `b` is an item of the scope, not one of its modules.
                    let is_module = |n: &str| layer(n).is_some();
                    if !is_module(a) {
                        return Some(format!(
                            "`{}` is not in the documented module order",
                            from[..=depth].join("::")
                        ));
                    }
                    return None;
                };
                if lb >= la {
                    return Some(format!(
                        "`{}` may use only modules listed before it, but uses `{}`",
                        from[..=depth].join("::"),
                        to[..=depth].join("::")
                    ));
                }
                return None;
            }
            return None;
        }
        None
    }

    #[test]
    fn runtime_modules_use_only_earlier_layers() {
        let src = super::common::repo().join("runtime/src");
        let mut files = Vec::new();
        rs_files(&src, &mut files);
        files.sort();
        let mut orders = BTreeMap::new();
        for f in &files {
            let name = f.file_name().unwrap();
            if (name == "lib.rs" || name == "mod.rs")
                && let Some(o) = parse_order(f)
            {
                orders.insert(module_of(&src, f), o);
            }
        }
        let top = orders
            .get(&Vec::new())
            .expect("lib.rs documents the layers");
        assert!(top.layers.len() >= 6, "lib.rs layers: {top:?}");
        assert!(
            orders.contains_key(&vec!["scene".to_string()]),
            "scene/mod.rs documents its modules' order"
        );
        let mut bad = Vec::new();
        let mut known_hit = vec![false; KNOWN.len()];
        for f in &files {
            if f.file_name().is_some_and(|n| n == "main.rs") {
                continue; // the CLI uses the library by its name
            }
            let module = module_of(&src, f);
            let is_mod = f
                .file_name()
                .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
            let code = code_of(&std::fs::read_to_string(f).unwrap());
            for to in uses_of(&module, is_mod, &code) {
                // A leaf uses nothing of the crate.
                for (scope, order) in &orders {
                    for leaf in &order.leaves {
                        let mut full = scope.clone();
                        full.extend(leaf.iter().cloned());
                        if module.starts_with(&full) && !to.starts_with(&full) {
                            bad.push(format!(
                                "{}: leaf `{}` uses `{}`",
                                f.display(),
                                full.join("::"),
                                to.join("::")
                            ));
                        }
                    }
                }
                if let Some(why) = violation(&orders, &module, &to) {
                    let (m, t) = (module.join("::"), to.join("::"));
                    if let Some(k) = KNOWN
                        .iter()
                        .position(|(a, b, _)| m.starts_with(a) && t.starts_with(b))
                    {
                        known_hit[k] = true;
                        continue;
                    }
                    bad.push(format!("{}: {why}", f.display()));
                }
            }
        }
        bad.dedup();
        for (k, hit) in known_hit.iter().enumerate() {
            if !hit {
                bad.push(format!(
                    "known exception {:?} no longer happens: remove it from KNOWN",
                    KNOWN[k]
                ));
            }
        }
        assert!(bad.is_empty(), "module order broken:\n{}", bad.join("\n"));
    }

    #[test]
    fn the_checker_sees_an_upward_use() {
        let mut orders = BTreeMap::new();
        orders.insert(
            Vec::new(),
            Order {
                layers: vec![vec!["a".into()], vec!["b".into(), "c".into()]],
                leaves: vec![vec!["b".into(), "types".into()]],
            },
        );
        let p = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
        assert!(violation(&orders, &p("b::x"), &p("a::y")).is_none());
        assert!(violation(&orders, &p("a"), &p("b::y")).is_some(), "upward");
        assert!(violation(&orders, &p("b"), &p("c")).is_some(), "same layer");
        assert!(
            violation(&orders, &p("a"), &p("b::types::T")).is_none(),
            "leaf"
        );
        let code = code_of(
            "use crate::b::{x, y::z};\n// crate::c::nope\nlet s = \"crate::c\";\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\n",
        );
        let uses = uses_of(&p("a"), false, &code);
        assert_eq!(uses, vec![p("b::x"), p("b::y::z")]);
        let uses = uses_of(&p("scene::model::plots"), false, "use super::refs::hint;");
        assert_eq!(uses, vec![p("scene::model::refs::hint")]);
        let uses = uses_of(&p("scene::model"), true, "use super::frame::X;");
        assert_eq!(uses, vec![p("scene::frame::X")]);
    }
}
