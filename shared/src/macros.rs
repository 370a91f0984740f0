//! Macros the domain modules share.

/// Declares a string-like enum with `as_str`, `parse` and `Display`, so the wire name is written
/// once next to the variant.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The wire and storage name.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            #[doc = concat!("Parses a ", $what, " given in a request field or read from storage.")]
            ///
            /// # Errors
            /// A 422 naming `field` when the text is not one of the names.
            pub fn parse(field: &str, text: &str) -> $crate::Result<$name> {
                Self::ALL.into_iter().find(|v| v.as_str() == text).ok_or_else(|| {
                    let names = Self::ALL.map($name::as_str).join(", ");
                    $crate::Error::invalid(field, format!("must be one of {names}"))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
