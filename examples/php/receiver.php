<?php
// The shop's webhook endpoint, served by `php -S`: appends each notification to
// the file named by MOCKPMS_WEBHOOK_LOG (one JSON per line) and acknowledges it.
$body = file_get_contents('php://input');
file_put_contents(getenv('MOCKPMS_WEBHOOK_LOG'), str_replace("\n", ' ', $body) . "\n", FILE_APPEND | LOCK_EX);
header('Content-Type: application/json');
echo json_encode(['errorCode' => '0', 'errorMessage' => 'OK']);
