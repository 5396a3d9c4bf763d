-- Refused webhook requests of one minute and reason, added to what that minute already counts.
INSERT INTO front.webhook_rejections (minute, reason, count)
VALUES (%(minute)s, %(reason)s, %(count)s)
ON CONFLICT (minute, reason) DO UPDATE SET count = front.webhook_rejections.count + excluded.count
