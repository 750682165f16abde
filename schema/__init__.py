"""The GraphQL contract: types, inputs, enums, errors, context and loaders."""
