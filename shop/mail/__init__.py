"""Customer e-mail: an outbox written with the change that causes it, templates, and an SMTP sender.

- outbox.py: enqueue() — what other parts call (in their own transaction)
- triggers.py: which order and payment events queue which e-mail (a session hook)
- kinds.py, context.py, render.py: subjects, the frozen template context, rendering in the order's language
- sender.py: claims rows (FOR UPDATE SKIP LOCKED on PostgreSQL), sends with Flask-Mailman, retries with backoff
- background.py, commands.py: delivery after requests (`make run`) and `flask --app wsgi mail send` (cron)
"""
