/**
 * discordInteraction: one run per Discord state-change interaction (id `discord-<interaction id>`).
 * Work in progress: the full flow lands in the next commit.
 */
import type { ChatActionResult, DiscordInteractionInput } from './chat-contracts';

export async function discordInteraction(input: DiscordInteractionInput): Promise<ChatActionResult> {
  return { outcome: 'skipped', reason: `not implemented yet (group ${input.groupId})`, changes: [], userId: null };
}
