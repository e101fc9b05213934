use proc_macro::TokenStream;

/// Expands to `fn answer() -> u32 { 42 }`.
#[proc_macro]
pub fn answer(_: TokenStream) -> TokenStream {
    "fn answer() -> u32 { 42 }".parse().unwrap()
}
