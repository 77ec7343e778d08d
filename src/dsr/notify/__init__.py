"""E-mail: the outbox, the SMTP sender, and the dev mail catcher."""
