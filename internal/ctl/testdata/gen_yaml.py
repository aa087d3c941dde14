#!/usr/bin/python3
"""Write yaml_cases.json: values and how PyYAML's safe_dump renders them
(block and flow style, allow_unicode, width 200), as patronictl calls it."""
import json, yaml

strings = ['', 'on', 'Off', 'yes', 'null', '~', '123', '0x1F', '1.5', '.inf', '1e5', '1_000', '2024-01-01',
           '2024-01-01 10:00:00+00:00', '12:30', '=', '<<', '*', '&a', '!x', '%p', '@x', '`x', '- a', '-a', 'a: b',
           'a:b', 'a #b', 'a#b', '#c', '[x]', 'x,y', '{x}', '? q', '?q', 'text ', ' text', 'a\nb', 'a\n\nb', 'a \nb',
           'tab\there', "it's", 'say "hi"', 'ünïcödé', 'emoji 😀', '\x07bell', 'x' * 210, ' '.join(['word'] * 60),
           'trailing\n', '---', '...x', 'host replication all 0.0.0.0/0 md5', "'quoted'", 'a\\b', '\u2028']
values = [{'k': s} for s in strings] + [
    {'nested': {'a': 1, 'b': [1, 'two', {'c': None}], 'e': {}, 'f': [], 'g': True, 'h': 1.5, 'i': 1e16, 'j': -0.0001}},
    [{'b': 1, 'a': [[1, 2], [3]]}, 'x'],
    {'multi': 'line one\nline two', 'list': ['a\nb', 'c']},
    {'Z': 1, 'a': 2, 'B': 3, '_': 4, 'é': 5},
]
cases = [{'value': v, 'block': yaml.safe_dump(v, default_flow_style=False, allow_unicode=True, width=200),
          'flow': yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=200)} for v in values]
with open('yaml_cases.json', 'w') as f:
    json.dump(cases, f, indent=1, ensure_ascii=False)
