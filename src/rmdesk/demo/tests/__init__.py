# Every demo login of the tiny bank the tests seed has this password.
PASSWORD = "tiny-bank-password"
