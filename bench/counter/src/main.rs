// Only the browser bundle of this app is measured (`cargo leptos build --frontend-only`).
fn main() {}
