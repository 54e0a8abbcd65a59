// The core flow through the official Node SDK (@metronome/sdk), against Billing Console.
// Run by billing_console/tests/test_node_sdk.py with METRONOME_BASE_URL and METRONOME_BEARER_TOKEN
// set; prints one JSON object with what it read back, for the test to check.
import Metronome from "@metronome/sdk";

const client = new Metronome({ maxRetries: 0 });
const run = process.env.FLOW_RUN_ID;
const monthStart = new Date();
monthStart.setUTCDate(1);
monthStart.setUTCHours(0, 0, 0, 0);

const customer = (await client.v1.customers.create({
  name: `Node flow ${run}`, ingest_aliases: [`node-${run}`],
})).data;
const metric = (await client.v1.billableMetrics.create({
  name: `Node calls ${run}`, event_type_filter: { in_values: ["node_call"] }, aggregation_type: "COUNT",
})).data;
const product = (await client.v1.contracts.products.create({
  name: `Node calls ${run}`, type: "USAGE", billable_metric_id: metric.id,
})).data;
const card = (await client.v1.contracts.rateCards.create({ name: `Node card ${run}` })).data;
await client.v1.contracts.rateCards.rates.add({
  rate_card_id: card.id, product_id: product.id, entitled: true, rate_type: "FLAT", price: 7,
  starting_at: monthStart.toISOString(),
});
const contract = (await client.v1.contracts.create({
  customer_id: customer.id, starting_at: monthStart.toISOString(), rate_card_id: card.id,
})).data;
const events = Array.from({ length: 12 }, (_, i) => ({
  transaction_id: `node-${run}-${i}`, customer_id: `node-${run}`, event_type: "node_call",
  timestamp: new Date().toISOString(), properties: {},
}));
await client.v1.usage.ingest({ usage: events });
await client.v1.usage.ingest({ usage: events.slice(0, 3) }); // retried: counted once
const fetched = await client.v2.contracts.retrieve({ customer_id: customer.id, contract_id: contract.id });
const invoices = [];
for await (const invoice of client.v1.customers.invoices.list({ customer_id: customer.id })) {
  invoices.push(invoice);
}
const draft = invoices.find((i) => i.status === "DRAFT" && i.type === "USAGE");
const one = (await client.v1.customers.invoices.retrieve({ customer_id: customer.id, invoice_id: draft.id })).data;
console.log(JSON.stringify({
  customer_id: customer.id,
  contract_id: fetched.data.id,
  rate_card_id: fetched.data.rate_card_id,
  invoice_total: one.total,
  line: one.line_items.filter((l) => l.product_id === product.id).map((l) => [l.quantity, l.unit_price, l.total]),
}));
