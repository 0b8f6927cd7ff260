/** `moose generate hash-token`: a new bearer token and the key hash the server stores (admin API, /ingest, /api). */
import type { Command } from "commander";
import { ExitCode } from "../../errors.js";
import { generateHashToken } from "../../server/auth.js";
import { action } from "../action.js";

export function register(program: Command): void {
  const generate = program.command("generate").description("Generate credentials and other values");
  generate
    .command("hash-token")
    .description("Create an API token: the key hash for the server (admin API, /ingest, /api) and the bearer token for clients")
    .option("--json", "print { api_key_hash, bearer_token } as JSON")
    .action(
      action(async (options: { json?: boolean }) => {
        const { apiKeyHash, bearerToken } = generateHashToken();
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ api_key_hash: apiKeyHash, bearer_token: bearerToken })}\n`);
          return ExitCode.ok;
        }
        process.stdout.write(
          [
            "API key hash — on the server, in moose.config.toml:",
            "  [authentication]",
            `  admin_api_key = "${apiKeyHash}"`,
            "  (or the environment variable MOOSE_AUTHENTICATION__ADMIN_API_KEY)",
            "  — or, to guard /ingest or /api with it, MOOSE_INGEST_API_KEY or MOOSE_CONSUMPTION_API_KEY",
            "",
            "Bearer token — for clients (`moose plan --url … --token …`, MOOSE_ADMIN_TOKEN, `Authorization: Bearer …`):",
            `  ${bearerToken}`,
            "",
            "The token is shown only now and cannot be recovered from the hash: store it in a secret manager.",
            "",
          ].join("\n"),
        );
        return ExitCode.ok;
      }),
    );
}
