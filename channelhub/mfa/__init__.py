"""Staff MFA: a TOTP second factor with single-use recovery codes (django-otp), and the audit
trail of logins, logouts and MFA events.

- `services`: who must verify (`MFA_REQUIRED_FOR`), enrolment, verification, the audit events;
- `views` and `forms`: `/admin/mfa/setup/` and `/admin/mfa/verify/`;
- `middleware`: sends a required, unverified session to verify (admin) or refuses it (API);
- `signals`: login succeeded / failed and logout into the audit trail (connected by `apps`).
"""
