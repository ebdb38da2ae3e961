package shop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CheckoutTest {
  static final String BASE = env("MOCKPMS_URL", "http://127.0.0.1:8080");
  static final String API_KEY = env("MOCKPMS_API_KEY", "mockpms-sandbox");
  static final String SECRET = env("MOCKPMS_SECRET", "mockpms-sandbox-secret");
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final BlockingQueue<String> WEBHOOKS = new LinkedBlockingQueue<>();
  static HttpServer receiver;
  static String webhookUrl;

  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  /** The document's signing snippet: HmacSHA1 over the millisecond timestamp, Base64. */
  static String sign(String timestamp) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA1");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    return Base64.getEncoder().encodeToString(mac.doFinal(timestamp.getBytes(StandardCharsets.UTF_8)));
  }

  static String post(String url, String json) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  /** A signed PMS call; `fields` is the rest of the JSON object, e.g. "\"lang\": \"en\"". */
  static String pms(String endpoint, String fields) throws Exception {
    String timestamp = String.valueOf(System.currentTimeMillis()); // milliseconds, not seconds
    String body = String.format(
        "{\"apiKey\": \"%s\", \"timestamp\": %s, \"sign\": \"%s\", %s}",
        API_KEY, timestamp, sign(timestamp), fields);
    return post(BASE + "/tt-pms-ws/rest/" + endpoint, body);
  }

  /** A top-level string or number field of a flat JSON answer. */
  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|-?\\d+)").matcher(json);
    assertTrue(m.find(), name + " missing in " + json);
    return m.group(2) != null ? m.group(2) : m.group(1);
  }

  @BeforeAll
  static void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/pms/notify", exchange -> {
      WEBHOOKS.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      byte[] ack = "{\"errorCode\": \"0\", \"errorMessage\": \"OK\"}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, ack.length);
      exchange.getResponseBody().write(ack);
      exchange.close();
    });
    receiver.start();
    webhookUrl = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/pms/notify";
  }

  @AfterAll
  static void stopReceiver() {
    receiver.stop(0);
  }

  @Test
  void gatewayListsThePaymentTypes() throws Exception {
    String answer = pms("online/gateway", "\"lang\": \"en\"");
    assertEquals("0", field(answer, "errorCode"));
    assertTrue(answer.contains("\"WXPAY\""), answer);
  }

  @Test
  void saleSettleWebhookQuery() throws Exception {
    String rrn = "JAVA" + System.currentTimeMillis();
    String txDateTime = ZonedDateTime.now(ZoneOffset.ofHours(8))
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssZ"));
    String sale = pms("online/sales", String.format(
        "\"type\": \"WXPAY\", \"rrn\": \"%s\", \"storeCode\": \"ST01\", \"tillId\": \"01\", "
            + "\"salesman\": \"9999\", \"txDateTime\": \"%s\", \"amt\": 1250, \"ccy\": \"HKD\", "
            + "\"lang\": \"en\", \"webhookUrl\": \"%s\"",
        rrn, txDateTime, webhookUrl));
    assertEquals("0", field(sale, "errorCode"), sale);
    assertTrue(field(sale, "paymentUrl").contains("/pms-payment/eft-payment?value="), sale);

    // The payer pays: the sandbox's control API settles the sale.
    post(BASE + "/_mock/transactions/" + rrn + "/settle",
        "{\"outcome\": \"success\", \"apiKey\": \"" + API_KEY + "\"}");

    String webhook = WEBHOOKS.poll(10, TimeUnit.SECONDS);
    assertTrue(webhook != null, "no webhook within 10 s");
    assertEquals(rrn, field(webhook, "rrn"));
    assertEquals("1250", field(webhook, "amount"));

    String query = pms("online/query", String.format(
        "\"type\": \"WXPAY\", \"rrn\": \"%s\", \"storeCode\": \"ST01\", \"tillId\": \"01\"", rrn));
    assertEquals("0", field(query, "errorCode"));
    assertEquals("01", field(query, "gwRefStatus"));
    assertEquals(field(webhook, "gwRefCode"), field(query, "gwRefCode"));
  }

  @Test
  void h5SessionCreateThenQuery() throws Exception {
    String sessionId = "java-" + System.currentTimeMillis();
    String created = pms("h5Payment/session/create", String.format(
        "\"merchantName\": \"Java shop\", \"sessionId\": \"%s\", \"storeCode\": \"ST01\", "
            + "\"tillId\": \"01\", \"salesMan\": \"9999\", \"amt\": 990, \"subject\": \"Mug\", "
            + "\"bitmap\": \"false\", \"webhookUrl\": \"%s\"",
        sessionId, webhookUrl));
    assertEquals("0", field(created, "errorCode"), created);
    assertTrue(field(created, "content").startsWith("http"), created);

    String queried = pms("h5Payment/session/query", "\"sessionId\": \"" + sessionId + "\"");
    assertEquals("0", field(queried, "errorCode"));
    assertEquals("1", field(queried, "status"));
  }
}
