"""Environment variables: the account's (`/v1/variables`), a group's and a check's."""
