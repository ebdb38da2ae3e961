<?php
// A PHP shop's integration test against a running mockpms: curl and hash_hmac.
//
//   MOCKPMS_URL=http://127.0.0.1:8080 php examples/php/checkout_test.php
//
// MOCKPMS_API_KEY / MOCKPMS_SECRET default to the sandbox merchant. Exit status 0
// when every check passes; each check prints "ok" or "not ok" with the reason.
declare(strict_types=1);

$base = getenv('MOCKPMS_URL') ?: 'http://127.0.0.1:8080';
$apiKey = getenv('MOCKPMS_API_KEY') ?: 'mockpms-sandbox';
$secret = getenv('MOCKPMS_SECRET') ?: 'mockpms-sandbox-secret';
$failures = 0;

function check(bool $ok, string $what): void
{
    global $failures;
    echo ($ok ? 'ok' : 'not ok') . " - $what\n";
    if (!$ok) {
        $failures++;
    }
}

function post(string $url, array $body): array
{
    $curl = curl_init($url);
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => json_encode($body),
        CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_TIMEOUT => 10,
    ]);
    $answer = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    curl_close($curl);
    if ($answer === false || $status !== 200) {
        throw new RuntimeException("POST $url answered HTTP $status: $answer");
    }
    return json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
}

// The document's signing: Base64(HMAC-SHA1(secret, the millisecond timestamp's digits)).
function pms(string $endpoint, array $fields): array
{
    global $base, $apiKey, $secret;
    $timestamp = (int) round(microtime(true) * 1000); // milliseconds, not time()'s seconds
    $sign = base64_encode(hash_hmac('sha1', (string) $timestamp, $secret, true));
    return post("$base/tt-pms-ws/rest/$endpoint", ['apiKey' => $apiKey, 'timestamp' => $timestamp, 'sign' => $sign] + $fields);
}

// The webhook receiver: PHP's built-in server on a free port, logging to a temp file.
$log = tempnam(sys_get_temp_dir(), 'pms-webhooks');
$probe = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
fclose($probe);
$receiver = proc_open(
    [PHP_BINARY, '-S', "127.0.0.1:$port", __DIR__ . '/receiver.php'],
    [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
    $pipes,
    null,
    ['MOCKPMS_WEBHOOK_LOG' => $log] + getenv()
);
for ($i = 0; $i < 50 && !@fsockopen('127.0.0.1', $port); $i++) {
    usleep(100000);
}
$webhookUrl = "http://127.0.0.1:$port/pms/notify";

function notification(string $log, string $rrn): ?array
{
    for ($i = 0; $i < 100; $i++) {
        foreach (file($log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
            $item = json_decode($line, true);
            if (($item['rrn'] ?? null) === $rrn) {
                return $item;
            }
        }
        usleep(100000);
    }
    return null;
}

try {
    $gateway = pms('online/gateway', ['lang' => 'en']);
    check($gateway['errorCode'] === '0', 'online/gateway answers errorCode "0"');
    check(in_array('WXPAY', array_column($gateway['gateways'], 'type'), true), 'WXPAY is offered');

    $rrn = 'PHP' . (int) round(microtime(true) * 1000);
    $txDateTime = (new DateTime('now', new DateTimeZone('Asia/Hong_Kong')))->format('Y-m-d\TH:i:sO');
    $sale = pms('online/sales', [
        'type' => 'WXPAY', 'rrn' => $rrn, 'storeCode' => 'ST01', 'tillId' => '01',
        'salesman' => '9999', 'txDateTime' => $txDateTime, 'amt' => 1250, 'ccy' => 'HKD',
        'lang' => 'en', 'webhookUrl' => $webhookUrl,
        'extendParam' => json_encode(['subject' => 'T-shirt', 'seller' => 'PHP shop']),
    ]);
    check($sale['errorCode'] === '0', "online/sales answers errorCode \"0\" ({$sale['errorMessage']})");
    check(str_contains($sale['paymentUrl'] ?? '', '/pms-payment/eft-payment?value='), 'a paymentUrl to open');

    // The payer pays: the sandbox's control API settles the sale.
    post("$base/_mock/transactions/$rrn/settle", ['outcome' => 'success', 'apiKey' => $apiKey]);

    $webhook = notification($log, $rrn);
    check($webhook !== null, 'the webhook arrived');
    check(($webhook['amount'] ?? null) === 1250, 'the webhook carries the amount');

    $query = pms('online/query', ['type' => 'WXPAY', 'rrn' => $rrn, 'storeCode' => 'ST01', 'tillId' => '01']);
    check($query['errorCode'] === '0' && $query['gwRefStatus'] === '01', 'online/query says paid (gwRefStatus 01)');
    check($query['gwRefCode'] === ($webhook['gwRefCode'] ?? null), 'query and webhook agree on gwRefCode');

    $sessionId = 'php-' . (int) round(microtime(true) * 1000);
    $created = pms('h5Payment/session/create', [
        'merchantName' => 'PHP shop', 'sessionId' => $sessionId, 'storeCode' => 'ST01', 'tillId' => '01',
        'salesMan' => '9999', 'amt' => 990, 'subject' => 'Mug', 'bitmap' => 'false', 'webhookUrl' => $webhookUrl,
    ]);
    check($created['errorCode'] === '0' && str_starts_with($created['content'], 'http'), 'H5 session created with its QR text');
    $queried = pms('h5Payment/session/query', ['sessionId' => $sessionId]);
    check($queried['errorCode'] === '0' && $queried['status'] === '1', 'H5 session query: not paid yet (status 1)');
} catch (Throwable $error) {
    check(false, get_class($error) . ': ' . $error->getMessage());
} finally {
    proc_terminate($receiver);
    proc_close($receiver);
    @unlink($log);
}

echo $failures === 0 ? "all passed\n" : "$failures failed\n";
exit($failures === 0 ? 0 : 1);
