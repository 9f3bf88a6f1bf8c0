"""Email over SMTP (the standard library's smtplib), configured by GUARDRAIL_SMTP_*."""
