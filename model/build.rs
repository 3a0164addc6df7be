//! Embeds the shipped weights (assets/model.safetensors) as the default model
//! when the file exists; before the first training run it does not.

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/model.safetensors");
    println!("cargo:rerun-if-changed={}", path.display());
    println!("cargo::rustc-check-cfg=cfg(nwt_embedded_weights)");
    if path.exists() {
        println!("cargo:rustc-cfg=nwt_embedded_weights");
        println!("cargo:rustc-env=NWT_WEIGHTS={}", path.display());
    }
    // The semantic knobs' directions (`cargo xtask semantic` writes them).
    let semantic = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/semantic.json");
    println!("cargo:rerun-if-changed={}", semantic.display());
    println!("cargo::rustc-check-cfg=cfg(nwt_embedded_semantic)");
    if semantic.exists() {
        println!("cargo:rustc-cfg=nwt_embedded_semantic");
        println!("cargo:rustc-env=NWT_SEMANTIC={}", semantic.display());
    }
}
