//! pageout-web: the wasm facade over pageout-core. Translation only; no simulation logic.
use wasm_bindgen::prelude::*;

/// The engine version.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    pageout_core::ENGINE_VERSION.to_string()
}
