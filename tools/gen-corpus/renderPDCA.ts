import type { Story } from './Story.js';

/**
 * Turns a story into a PDCA file in the journal's template: a title line, bold key/value header
 * lines with emoji, then PLAN / DO / CHECK / ACT. `variant` rotates through the small header
 * differences real journals show (an "Agent Role" key, a dual Previous PDCA link, no Issues
 * line), so parsers are exercised on more than one spelling.
 */
export interface PreviousLink {
  title: string;
  /** Relative link from the file's own folder. */
  href: string;
  /** Path from the journal root, for the hosted half of a dual link. */
  rootPath: string;
}

export interface RenderOptions {
  sha: string;
  previous?: PreviousLink;
  variant: number;
  /** Latin-1 output cannot hold emoji: render plain keys instead. */
  plain?: boolean;
}

const ROLE_NAMES: Record<string, string> = {
  developer: 'Developer',
  qa: 'QA Engineer',
  architect: 'Architect',
  po: 'Product Owner',
};

export function roleName(role: string): string {
  return ROLE_NAMES[role] ?? role.charAt(0).toUpperCase() + role.slice(1);
}

export function renderPDCA(story: Story, opts: RenderOptions): string {
  const e = (emoji: string) => (opts.plain ? '' : `${emoji} `);
  const v = opts.variant % 4;
  const lines: string[] = [];
  lines.push(`# ${e('📋')}**PDCA Cycle: ${story.title}**`, '');
  lines.push(`**${e('🗓️')}Date:** ${story.day}-UTC-${story.time}  `);
  lines.push(`**${e('🎯')}Objective:** ${story.objective}  `);
  lines.push(`**${e('👤')}${v === 2 ? 'Agent Role' : 'Role'}:** ${roleName(story.role)}  `);
  if (story.issues) lines.push(`**${e('🚨')}Issues:** ${story.issues}  `);
  else if (v === 1) lines.push(`**${e('🚨')}Issues:** none  `);
  lines.push(`**${e('🔗')}Last Commit SHA:** ${opts.sha}  `);
  if (opts.previous) {
    const p = opts.previous;
    const link =
      v === 3
        ? `[GitHub](https://git.example.com/web4/project/blob/main/journal/${encodeURI(p.rootPath)}) | [${p.title}](${encodeURI(p.href)})`
        : `[${p.title}](${encodeURI(p.href)})`;
    lines.push(`**${e('🔗')}Previous PDCA:** ${link}`);
  } else {
    lines.push(`**${e('🔗')}Previous PDCA:** none (first entry of the journal)`);
  }
  lines.push('', '---', '');
  if (story.summary) lines.push(`## **${e('📊')}SUMMARY**`, '', story.summary, '', '---', '');
  lines.push(`## **${e('📋')}PLAN**`, '', story.plan, '', '---', '');
  lines.push(`## **${e('🔧')}DO**`, '', story.do, '', '---', '');
  lines.push(`## **${e('✅')}CHECK**`, '', story.check, '', '---', '');
  lines.push(`## **${e('🎯')}ACT**`, '', story.act, '');
  if (story.appendix) lines.push('---', '', story.appendix.trimEnd(), '');
  return lines.join('\n');
}
