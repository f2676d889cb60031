#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates tessera(1), tessera.conf(5) and the bash completion from their one source
each, so none of them can drift from what they describe:

  tessera(1)        the text the binary prints for `tessera --help` and for
                    `tessera COMMAND --help`, command by command;
  tessera.conf(5)   docs/configuration.md (its [server] ... reference block becomes the
                    list of keys, its prose the rest of the page);
  completion        the commands, sub-commands and options of the same --help texts,
                    and the section.key names of the same reference block for --set.

usage: gen-man.py TESSERA_BIN docs/configuration.md OUTDIR VERSION
writes OUTDIR/tessera.1, OUTDIR/tessera.conf.5 and OUTDIR/tessera.bash-completion.
Fails (exit 1) when a help text cannot be read: a man page is never written half.
"""
import os
import re
import subprocess
import sys

KEY_RE = re.compile(r'^([a-z_][a-z0-9_]*) = (.*?)\s*(?:(?<=\s);\s?(.*))?$')
KEY_EMPTY_RE = re.compile(r'^([a-z_][a-z0-9_]*) =\s*(?:;\s?(.*))?$')
SECTION_RE = re.compile(r'^\[([a-z0-9_.]+)\]\s*(?:;\s?(.*))?$')


# --- roff ---------------------------------------------------------------------------
def esc(text):
    """Plain text as roff: backslashes escaped, '-' as a real minus (options stay
    copyable), and a line starting with '.' or "'" protected."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    return text


def line(text):
    text = esc(text)
    if text.startswith(('.', "'")):
        text = '\\&' + text
    return text


def inline_md(text):
    """Markdown inline markup of docs/*.md as roff: `code` and **bold** in bold,
    [text](link) as its text."""
    text = re.sub(r'\[([^\]]+)\]\(([^)]+)\)', r'\1', text)
    out = []
    for i, part in enumerate(re.split(r'(`[^`]*`|\*\*[^*]+\*\*)', text)):
        if part.startswith('`') and part.endswith('`') and len(part) >= 2:
            out.append('\\fB' + esc(part[1:-1]) + '\\fR')
        elif part.startswith('**') and part.endswith('**'):
            out.append('\\fB' + esc(part[2:-2]) + '\\fR')
        else:
            out.append(esc(part))
    s = ''.join(out)
    if s.startswith(('.', "'")):
        s = '\\&' + s
    return s


def preformatted(lines):
    """Lines as they are, indented as far as the man page's usual 7 columns while the
    longest still fits in 80 (help texts are written for 80 columns themselves)."""
    width = max(len(x) for x in lines) if lines else 0
    out = ['.PP', '.nf', '.in %d' % max(0, min(7, 79 - width))]
    out += [line(x) for x in lines]
    out += ['.fi']
    return out


# --- tessera(1) from --help ---------------------------------------------------------
def run_help(binary, *args):
    p = subprocess.run([binary, *args, '--help'], capture_output=True, text=True,
                       timeout=30)
    if p.returncode != 0 or not p.stdout.strip():
        sys.exit('gen-man: `%s --help` failed (exit %d)' % (' '.join(['tessera', *args]),
                                                          p.returncode))
    return p.stdout


def blocks(text):
    cur = []
    for ln in text.rstrip('\n').split('\n'):
        if ln.strip() == '':
            if cur:
                yield cur
            cur = []
        else:
            cur.append(ln.rstrip())
    if cur:
        yield cur


def top_commands(text):
    """[(name, summary)] of `tessera --help`'s commands: block."""
    cmds, inside = [], False
    for ln in text.split('\n'):
        if ln.strip() == 'commands:':
            inside = True
        elif inside and ln.startswith('  ') and ln.strip():
            name, _, summary = ln.strip().partition(' ')
            cmds.append((name, summary.strip()))
        elif inside and not ln.strip():
            if cmds:
                break
    if not cmds:
        sys.exit('gen-man: no commands in `tessera --help`')
    return cmds


DESC_COL = 23   # the column option descriptions start at in every --help


def option_items(lines):
    """The lines of an options: block as [(term, [description lines])], or None when
    one line does not have the layout (then the block is printed as it is)."""
    items = []
    for ln in lines:
        if ln.startswith('  -'):
            if len(ln) > DESC_COL and ln[DESC_COL - 1] == ' ' and ln[DESC_COL] != ' ':
                items.append((ln[:DESC_COL].strip(), [ln[DESC_COL:].strip()]))
            elif len(ln) <= DESC_COL:
                items.append((ln.strip(), []))
            else:
                return None
        elif ln.startswith(' ' * DESC_COL) and items:
            items[-1][1].append(ln.strip())
        else:
            return None
    return items


def command_section(name, text):
    out = ['.SS "tessera %s"' % esc(name)]
    for b in blocks(text):
        if b[0].startswith('usage:'):
            b = [b[0][len('usage: '):]] + [x[len('usage: '):] if x.startswith(' ' * 7)
                                          else x for x in b[1:]]
            out += ['.PP', '.nf'] + ['\\fB' + line(x) + '\\fR' for x in b] + ['.fi']
        elif b[0] == 'options:' and option_items(b[1:]) is not None:
            for term, desc in option_items(b[1:]):
                out += ['.TP', '.B ' + esc(term)] if ' ' not in term else \
                       ['.TP', '\\fB' + esc(term) + '\\fR']
                out += [line(' '.join(desc))] if desc else []
        elif all(not x.startswith(' ') for x in b) and not b[0].endswith(':'):
            out += ['.PP', line(' '.join(b))]
        else:
            out += preformatted(b)
    return out


def man1(binary, version, top, helps):
    out = [
        '.\\" generated by mk/gen-man.py from tessera --help; do not edit',
        '.TH TESSERA 1 "" "tessera %s" "User Commands"' % esc(version),
        '.nh',
        '.ad l',
        '.SH NAME',
        'tessera \\- self\\-hosted authentication server, its admin tool and client',
        '.SH SYNOPSIS',
        '.B tessera',
        '.I COMMAND',
        '.RI [ options ]',
        '.br',
        '.B tessera',
        '.I COMMAND',
        '.B \\-\\-help',
        '.SH DESCRIPTION',
        'One binary is the server (\\fBtessera serve\\fR), the operator\'s tool (users,',
        'OAuth clients, signing keys, sessions, the database) and the end user\'s client',
        '(\\fBlogin\\fR, \\fBtoken\\fR, \\fBwhoami\\fR, \\fBrequest\\fR, \\fBlogout\\fR).',
        'Each section below is the command\'s own \\fB\\-\\-help\\fR.',
        '.SH COMMANDS',
    ]
    for name, summary in top:
        out += ['.TP 11', '.B ' + esc(name), line(summary)]
    for name, _ in top:
        out += command_section(name, helps[name])
    out += [
        '.SH ENVIRONMENT',
        '.TP',
        '.B TESSERA_\\fISECTION\\fB_\\fIKEY\\fR',
        'any key of the configuration, e.g. \\fBTESSERA_TOKENS_ACCESS_TTL=300\\fR',
        '(see \\fBtessera.conf\\fR(5) for the order of the layers)',
        '.SH EXIT STATUS',
        '0 on success; otherwise non\\-zero, with one line on standard error',
        '(2: the command line itself was wrong).',
        '.SH FILES',
        '.TP',
        '.I /etc/tessera/tessera.conf',
        'the configuration of the packaged service (\\fBtessera.conf\\fR(5))',
        '.TP',
        '.I /var/lib/tessera/',
        'its state directory: the SQLite database, owned by the user \\fBtessera\\fR',
        '.SH SEE ALSO',
        '\\fBtessera.conf\\fR(5), \\fBsystemctl\\fR(1);',
        'the documentation in \\fI/usr/share/doc/tessera/\\fR',
        '(api.md, cli.md, operations.md, security.md, ...).',
    ]
    return '\n'.join(out) + '\n'


# --- tessera.conf(5) from docs/configuration.md -------------------------------------
def reference_block(md_lines):
    """(start, end) of the ```ini block that holds [server]: the key reference."""
    i = 0
    while i < len(md_lines):
        if md_lines[i].startswith('```'):
            j = i + 1
            while j < len(md_lines) and not md_lines[j].startswith('```'):
                j += 1
            if any(x.strip() == '[server]' for x in md_lines[i + 1:j]):
                return i, j
            i = j
        i += 1
    sys.exit('gen-man: no [server] reference block in configuration.md')


def parse_reference(lines):
    """[(section, comment, [(key, value, [comment lines])])] and loose comments."""
    sections = []
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        m = SECTION_RE.match(s)
        if m and not ln.startswith(' '):
            sections.append([m.group(1), [m.group(2)] if m.group(2) else [], []])
            continue
        if s.startswith(';'):
            text = s[1:].strip()
            if not sections:
                continue
            if ln.startswith(' ') and sections[-1][2]:
                sections[-1][2][-1][2].append(text)     # a key's next comment line
            elif ln.startswith(' '):
                sections[-1][1].append(text)            # the section's
            elif sections[-1][2] and sections[-1][2][-1][0] is None:
                sections[-1][2][-1][2].append(text)     # a note's next line
            else:
                sections[-1][2].append((None, None, [text]))   # a note of its own
            continue
        m = KEY_EMPTY_RE.match(s) or KEY_RE.match(s)
        if not m or not sections:
            sys.exit('gen-man: configuration.md: cannot read the line %r' % ln)
        if m.re is KEY_EMPTY_RE:
            key, value, comment = m.group(1), '', m.group(2)
        else:
            key, value, comment = m.group(1), m.group(2), m.group(3)
        sections[-1][2].append((key, value, [comment] if comment else []))
    return sections


def md_prose(lines):
    """Markdown paragraphs, lists, headings and code blocks as roff."""
    out, para, i = [], [], 0

    def flush():
        if para:
            out.append(inline_md(' '.join(x.strip() for x in para)))
            para.clear()
    while i < len(lines):
        ln = lines[i]
        if ln.startswith('```'):
            flush()
            j = i + 1
            while j < len(lines) and not lines[j].startswith('```'):
                j += 1
            out += preformatted(lines[i + 1:j])
            i = j + 1
            continue
        if ln.startswith('## '):
            flush()
            out.append('.SH "%s"' % esc(ln[3:].strip().upper()))
        elif ln.startswith('# '):
            flush()
        elif not ln.strip():
            flush()
        elif re.match(r'^\d+\. ', ln):
            flush()
            num, _, rest = ln.partition(' ')
            out += ['.IP %s 4' % num]
            para.append(rest)
        elif ln.startswith('- '):
            flush()
            out += ['.IP \\(bu 2']
            para.append(ln[2:])
        elif para and ln.startswith(' '):
            para.append(ln)
        else:
            if not para and (not out or out[-1].startswith(('.SH', '.fi', '.RE'))
                             or not out[-1].startswith('.')):
                out.append('.PP')
            para.append(ln)
        i += 1
    flush()
    return out


def man5(md_path, version):
    md = open(md_path, encoding='utf-8').read().split('\n')
    start, end = reference_block(md)
    sections = parse_reference(md[start + 1:end])
    out = [
        '.\\" generated by mk/gen-man.py from docs/configuration.md; do not edit',
        '.TH TESSERA.CONF 5 "" "tessera %s" "File Formats"' % esc(version),
        '.nh',
        '.ad l',
        '.SH NAME',
        'tessera.conf \\- configuration of the tessera authentication server',
        '.SH SYNOPSIS',
        '.I /etc/tessera/tessera.conf',
        '(the packaged service), or any file given with',
        '\\fBtessera\\fR \\fICOMMAND\\fR \\fB\\-\\-config\\fR \\fIFILE\\fR',
        '.SH DESCRIPTION',
    ]
    # The prose before the reference block, without its title and closing colon.
    out += md_prose(md[:start])
    out += ['.SH KEYS',
            'Each key with its default value, section by section.']
    for name, comment, keys in sections:
        out += ['.SS "[%s]"' % esc(name)]
        if comment:
            out += ['.PP', line(' '.join(comment))]
        for key, value, desc in keys:
            if key is None:
                out += ['.PP', line(' '.join(desc))]
                continue
            out += ['.TP', '\\fB%s\\fR = %s' % (esc(key), esc(value) if value
                                                 else '\\fI(empty)\\fR')]
            if desc:
                out.append(line(' '.join(desc)))
    out += md_prose(md[end + 1:])
    out += ['.SH SEE ALSO',
            '\\fBtessera\\fR(1); configuration.md in \\fI/usr/share/doc/tessera/\\fR,',
            'the page this one is made from.']
    return '\n'.join(out) + '\n', sections


# --- bash completion ----------------------------------------------------------------
OPT_RE = re.compile(r'(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)(?:[ =]\[?([A-Z][A-Z_.=]*)\b)?')


def completion(top, helps, sections):
    cmds = [n for n, _ in top]
    keys = []
    for name, _, ks in sections:
        keys += ['%s.%s=' % (name, k) for k, _, _ in ks if k]
    file_opts, dir_opts, arg_opts = set(), set(), set()
    cases = []
    for name in cmds:
        text = helps[name]
        opts = sorted(set(m.group(1) for m in OPT_RE.finditer(text)))
        for m in OPT_RE.finditer(text):
            meta = m.group(2)
            if not meta:
                continue
            if meta == 'FILE':
                file_opts.add(m.group(1))
            elif meta == 'DIR':
                dir_opts.add(m.group(1))
            else:
                arg_opts.add(m.group(1))
        subs = []
        usage = text.split('\n', 1)[0]
        for w in usage.split()[3:]:
            if re.fullmatch(r'[a-z][a-z-]*', w):
                subs.append(w)
            else:
                break
        inside = False
        for ln in text.split('\n'):
            if ln.strip() == 'commands:':
                inside = True
            elif inside and not ln.strip():
                inside = False
            elif inside:
                m = re.match(r'^  ([a-z][a-z-]*)(?:\s|$)', ln)
                if m:
                    subs.append(m.group(1))
        subs = list(dict.fromkeys(subs))
        cases.append('        %s) subs="%s"; opts="%s" ;;' % (name, ' '.join(subs),
                                                              ' '.join(opts)))
    arg_opts -= file_opts | dir_opts
    return '''# bash completion for tessera(1); generated by mk/gen-man.py from tessera --help
# and docs/configuration.md: do not edit.
_tessera()
{
    local cur prev cmd subs opts
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "%(cmds)s --help" -- "$cur"))
        compopt +o default 2>/dev/null
        return 0
    fi
    cmd=${COMP_WORDS[1]}
    case $prev in
        %(file_opts)s)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        %(dir_opts)s)
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --set)
            COMPREPLY=($(compgen -W "%(keys)s" -- "$cur"))
            compopt -o nospace +o default 2>/dev/null
            return 0 ;;
        %(arg_opts)s)
            compopt +o default 2>/dev/null
            return 0 ;;
    esac
    case $cmd in
%(cases)s
        *) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        compopt +o default 2>/dev/null
    elif [[ $COMP_CWORD -eq 2 && -n $subs ]]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        compopt +o default 2>/dev/null
    fi
    return 0
}
complete -o default -F _tessera tessera
''' % {'cmds': ' '.join(cmds), 'file_opts': '|'.join(sorted(file_opts)) or '--no-such',
       'dir_opts': '|'.join(sorted(dir_opts)) or '--no-such',
       'arg_opts': '|'.join(sorted(arg_opts)) or '--no-such', 'keys': ' '.join(keys),
       'cases': '\n'.join(cases)}


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    binary, md, outdir, version = sys.argv[1:]
    top = top_commands(run_help(binary))
    helps = {name: run_help(binary, name) for name, _ in top}
    page5, sections = man5(md, version)
    os.makedirs(outdir, exist_ok=True)
    for name, text in (('tessera.1', man1(binary, version, top, helps)),
                       ('tessera.conf.5', page5),
                       ('tessera.bash-completion', completion(top, helps, sections))):
        tmp = os.path.join(outdir, name + '.tmp')
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, os.path.join(outdir, name))


if __name__ == '__main__':
    main()
