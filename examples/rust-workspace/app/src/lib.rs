//! An order book: JSON in (serde_json), typed structs (serde_derive), a
//! report out. The checksum comes from `codegen`, whose table a build script
//! generated.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Tool,
    Part,
    Service { hours: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub sku: String,
    pub quantity: u32,
    /// Price of one unit in cents.
    pub unit_cents: u64,
    pub category: Category,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: u32,
    pub customer: String,
    pub items: Vec<Item>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Report {
    pub orders: usize,
    pub total_cents: u64,
    pub per_customer: BTreeMap<String, u64>,
    pub per_category: BTreeMap<String, u32>,
    pub prime_order_ids: Vec<u32>,
    pub checksum: String,
    pub generated_by: &'static str,
}

/// The built-in sample input.
pub const SAMPLE: &str = r#"[
  {"id": 2, "customer": "ada", "items": [
    {"sku": "HAM-1", "quantity": 2, "unit_cents": 1299, "category": "tool", "tags": ["steel"]},
    {"sku": "NUT-8", "quantity": 100, "unit_cents": 7, "category": "part"}]},
  {"id": 7, "customer": "grace", "items": [
    {"sku": "FIX-0", "quantity": 1, "unit_cents": 4500, "category": {"service": {"hours": 3}}}]},
  {"id": 9, "customer": "ada", "items": [
    {"sku": "SAW-2", "quantity": 1, "unit_cents": 2599, "category": "tool", "tags": ["steel", "sharp"]}]},
  {"id": 13, "customer": "linus", "items": []}
]"#;

pub fn parse_orders(json: &str) -> Result<Vec<Order>, serde_json::Error> {
    serde_json::from_str(json)
}

pub fn order_total(order: &Order) -> u64 {
    order
        .items
        .iter()
        .map(|i| i.unit_cents * u64::from(i.quantity))
        .sum()
}

pub fn category_name(c: &Category) -> String {
    match c {
        Category::Tool => "tool".into(),
        Category::Part => "part".into(),
        Category::Service { hours } => format!("service({hours}h)"),
    }
}

pub fn report(orders: &[Order]) -> Report {
    let mut per_customer = BTreeMap::new();
    let mut per_category = BTreeMap::new();
    for o in orders {
        *per_customer.entry(o.customer.clone()).or_insert(0) += order_total(o);
        for i in &o.items {
            *per_category.entry(category_name(&i.category)).or_insert(0) += i.quantity;
        }
    }
    let canonical = serde_json::to_string(orders).expect("orders serialize");
    Report {
        orders: orders.len(),
        total_cents: orders.iter().map(order_total).sum(),
        per_customer,
        per_category,
        prime_order_ids: orders
            .iter()
            .map(|o| o.id)
            .filter(|&id| codegen::is_known_prime(id))
            .collect(),
        checksum: format!("{:08x}", codegen::crc32(canonical.as_bytes())),
        generated_by: codegen::GREETING,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_parses() {
        let orders = parse_orders(SAMPLE).unwrap();
        assert_eq!(orders.len(), 4);
        assert_eq!(orders[1].items[0].category, Category::Service { hours: 3 });
        assert_eq!(orders[0].items[0].tags, vec!["steel".to_string()]);
        assert!(orders[3].items.is_empty());
    }

    #[test]
    fn totals() {
        let orders = parse_orders(SAMPLE).unwrap();
        assert_eq!(order_total(&orders[0]), 2 * 1299 + 100 * 7);
        let r = report(&orders);
        assert_eq!(r.total_cents, 3298 + 4500 + 2599);
        assert_eq!(r.per_customer["ada"], 3298 + 2599);
        assert_eq!(r.per_category["part"], 100);
        assert_eq!(r.prime_order_ids, vec![2, 7, 13]);
    }

    #[test]
    fn round_trip() {
        let orders = parse_orders(SAMPLE).unwrap();
        let again: Vec<Order> =
            serde_json::from_str(&serde_json::to_string(&orders).unwrap()).unwrap();
        assert_eq!(orders, again);
    }

    #[test]
    fn bad_input_is_an_error() {
        let err = parse_orders(r#"[{"id": "x"}]"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }
}
