// A Node shop's integration tests against a running mockpms: node:test, fetch, crypto.
// No npm packages. Run it against `mockpms serve` (or the Docker image):
//
//   MOCKPMS_URL=http://127.0.0.1:8080 node --test examples/node/
//
// MOCKPMS_API_KEY / MOCKPMS_SECRET default to the sandbox merchant.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

const BASE = process.env.MOCKPMS_URL ?? "http://127.0.0.1:8080";
const API_KEY = process.env.MOCKPMS_API_KEY ?? "mockpms-sandbox";
const SECRET = process.env.MOCKPMS_SECRET ?? "mockpms-sandbox-secret";

// The document's signing: Base64(HMAC-SHA1(secret, the millisecond timestamp's digits)).
function signed(fields) {
  const timestamp = Date.now(); // milliseconds, as PMS wants (not seconds)
  const sign = createHmac("sha1", SECRET).update(String(timestamp)).digest("base64");
  return { apiKey: API_KEY, timestamp, sign, ...fields };
}

async function pms(endpoint, fields) {
  const response = await fetch(`${BASE}/tt-pms-ws/rest/${endpoint}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(signed(fields)),
  });
  assert.equal(response.status, 200);
  return response.json();
}

function txDateTime(date = new Date()) {
  // yyyy-MM-dd'T'HH:mm:ssZ in Hong Kong time, e.g. 2021-06-09T13:10:33+0800
  const hk = new Date(date.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 19);
  return `${hk}+0800`;
}

// The shop's webhook endpoint: records each notification and acknowledges it.
const received = [];
const waiters = [];
const receiver = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    received.push(JSON.parse(body));
    waiters.splice(0).forEach((wake) => wake());
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ errorCode: "0", errorMessage: "OK" }));
  });
});

function notification(rrn, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`no webhook for ${rrn}`)), timeoutMs);
    const look = () => {
      const found = received.find((item) => item.rrn === rrn);
      if (found) {
        clearTimeout(deadline);
        resolve(found);
      } else waiters.push(look);
    };
    look();
  });
}

let webhookUrl;
before(async () => {
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  webhookUrl = `http://127.0.0.1:${receiver.address().port}/pms/notify`;
});
after(() => receiver.close());

test("gateway lists the payment types", async () => {
  const answer = await pms("online/gateway", { lang: "en" });
  assert.equal(answer.errorCode, "0");
  assert.ok(answer.gateways.some((gateway) => gateway.type === "WXPAY"));
});

test("sale, settle, webhook received, query", async () => {
  const rrn = `NODE${Date.now()}`;
  const sale = await pms("online/sales", {
    type: "WXPAY", rrn, storeCode: "ST01", tillId: "01", salesman: "9999",
    txDateTime: txDateTime(), amt: 1250, ccy: "HKD", lang: "en",
    extendParam: JSON.stringify({ subject: "T-shirt", seller: "Node shop" }),
    webhookUrl,
  });
  assert.equal(sale.errorCode, "0", sale.errorMessage);
  assert.match(sale.paymentUrl, /\/pms-payment\/eft-payment\?value=/);

  // The payer pays: the sandbox's control API settles the sale.
  const settle = await fetch(`${BASE}/_mock/transactions/${rrn}/settle`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ outcome: "success", apiKey: API_KEY }),
  });
  assert.equal(settle.status, 200, await settle.clone().text());

  const webhook = await notification(rrn);
  assert.equal(webhook.amount, 1250);
  assert.equal(webhook.type, "WXPAY");

  const query = await pms("online/query", { type: "WXPAY", rrn, storeCode: "ST01", tillId: "01" });
  assert.equal(query.errorCode, "0");
  assert.equal(query.gwRefStatus, "01"); // paid
  assert.equal(query.amt, 1250);
  assert.equal(query.gwRefCode, webhook.gwRefCode);
});

test("H5 session: create with a QR code, then query", async () => {
  const sessionId = `node-${Date.now()}`;
  const created = await pms("h5Payment/session/create", {
    merchantName: "Node shop", sessionId, storeCode: "ST01", tillId: "01",
    salesMan: "9999", amt: 990, subject: "Mug", bitmap: "false", webhookUrl,
  });
  assert.equal(created.errorCode, "0", created.errorMessage);
  assert.match(created.content, /^https?:\/\//); // bitmap false: the QR code's text

  const queried = await pms("h5Payment/session/query", { sessionId });
  assert.equal(queried.errorCode, "0");
  assert.equal(queried.status, "1"); // not paid yet
});
