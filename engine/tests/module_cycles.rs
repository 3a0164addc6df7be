//! No module of the workspace's crates imports, through its siblings, a
//! module that imports it back (issue "A house with clean walls", item 1).
//!
//! Each crate's source tree is read as text: every file's module path comes
//! from its place in the tree; every `crate::…`, `super::…` and `self::…`
//! path outside comments and test modules (grouped `use` lists included)
//! names the module it reaches. A reference from module `a::b::x` to
//! `a::b::y::…` is an edge `x → y` among the children of `a::b`; references
//! to a parent's own items (not a child module) are not edges. A cycle among
//! siblings fails the test with the modules in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path of every source file under `src` (the crate root is `[]`).
fn module_files(src: &Path) -> Vec<(Vec<String>, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![(src.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, path)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "bin" {
                    let mut sub = path.clone();
                    sub.push(name);
                    stack.push((p, sub));
                }
            } else if p.extension().is_some_and(|e| e == "rs") && name != "tests" {
                let mut module = path.clone();
                if !matches!(name.as_str(), "mod" | "lib" | "main") {
                    module.push(name);
                }
                out.push((module, p));
            }
        }
    }
    out
}

/// The code of a file without comments and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path written in `code` as `crate::`, `super::` or `self::`,
/// resolved against `module` (grouped lists give one path per entry's
/// first segment).
fn references(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (at, _) in code.match_indices("::") {
        // Only the first `::` of a path starting with crate/super/self.
        let before = &code[..at];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        let head = &code[start..at];
        if head.contains("::") {
            continue;
        }
        let mut base: Vec<String> = match head {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        let mut rest = &code[at + 2..];
        // `super::super::…`
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let mut path = base.clone();
        loop {
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let first = ident(item.trim());
                    if !first.is_empty() {
                        let mut p = path.clone();
                        p.push(first);
                        out.push(p);
                    }
                }
                break;
            }
            let seg = ident(rest);
            if seg.is_empty() {
                break;
            }
            rest = &rest[seg.len()..];
            path.push(seg);
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => break,
            }
        }
        if path.len() > base.len() {
            out.push(path);
        }
    }
    out
}

/// The cycles among sibling modules of the crate at `src`, each as the
/// parent's path and the siblings in the cycle.
fn cycles(src: &Path) -> Vec<String> {
    let files = module_files(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _)| m.clone()).collect();
    // parent -> child -> children it reaches
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, file) in &files {
        for target in references(&code(&std::fs::read_to_string(file).unwrap()), module) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common >= module.len() || common >= target.len() {
                continue; // within itself, or an item of an ancestor
            }
            if !modules.contains(&target[..=common]) {
                continue; // an item of the common parent, not a child module
            }
            edges
                .entry(module[..common].to_vec())
                .or_default()
                .entry(module[common].clone())
                .or_default()
                .insert(target[common].clone());
        }
    }
    let mut found = Vec::new();
    for (parent, graph) in &edges {
        for component in strongly_connected(graph) {
            found.push(format!(
                "{}: {}",
                parent.join("::"),
                component.join(" <-> ")
            ));
        }
    }
    found
}

/// Tarjan's strongly connected components of more than one node.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        if let Some(next) = s.graph.get(v) {
            for w in next {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if s.stack.contains(&w) {
                    let iw = s.index[w];
                    let lv = s.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut all = Vec::new();
    for krate in ["model", "engine", "gui", "plugin", "cli"] {
        for cycle in cycles(&workspace().join(krate).join("src")) {
            all.push(format!("{krate}: {cycle}"));
        }
    }
    assert!(all.is_empty(), "module cycles:\n{}", all.join("\n"));
}

#[test]
fn the_check_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("nwt-cycle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("outer")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod outer;\npub mod leaf;\n").unwrap();
    std::fs::write(dir.join("leaf.rs"), "pub const X: u8 = 1;\n").unwrap();
    std::fs::write(
        dir.join("outer/mod.rs"),
        "mod a;\nmod b;\npub const Y: u8 = 0;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("outer/a.rs"),
        "use super::{b::B, Y};\nuse crate::leaf::X;\npub struct A;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("outer/b.rs"),
        "// crate::outer::a is only named here\npub struct B;\n",
    )
    .unwrap();
    assert!(
        cycles(&dir).is_empty(),
        "a -> b, a -> leaf, a -> parent: no cycle"
    );
    std::fs::write(
        dir.join("outer/b.rs"),
        "pub struct B(crate::outer::a::A);\n",
    )
    .unwrap();
    let found = cycles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, ["outer: a <-> b"]);
}
