//! What every handler uses: errors as responses, who a request comes from, security headers,
//! content encodings, connection limits. Knows nothing of handlers or the app's state.

pub mod client_addr;
pub mod encoding;
pub mod error;
pub mod rate_limit;
pub mod security_headers;
pub mod serve;
