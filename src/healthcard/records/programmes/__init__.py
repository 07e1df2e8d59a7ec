"""Public-health programmes on the national schedules (重点人群管理): enrolment, follow-ups with
versioned rules, task lists, immunisation and infectious-disease reports."""
