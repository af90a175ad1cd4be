//! Statements that change rows: INSERT and DELETE.

mod columns;
mod delete;
mod insert;

pub use delete::delete;
pub use insert::insert;
