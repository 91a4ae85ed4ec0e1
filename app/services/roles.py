"""The two kinds of staff account (R32, R33), in a module that loads nothing else: the command
line offers them as choices before any database or service is loaded."""

ROLE_TEACHER = "teacher"
ROLE_IT = "it"
ROLES = (ROLE_TEACHER, ROLE_IT)
