#!/usr/bin/env python3
"""Writes ThirdParty/pypinyin/{characters,phrases}.txt and LICENSE.txt from an installed pypinyin (PyPI, MIT).

The build (Plugins/PinyinTablePlugin) turns these two files into the table export's key maker reads Chinese with
(Sources/RoomSyncPinyin). Readings are written as keys spell them: without tones or other marks, lowercase
(`lü` is `lu`, as the platform's transliterator spelled it before).

- characters.txt: every character pypinyin has a reading for, with its first (most common) reading.
- phrases.txt: the phrases a forward maximum match must know to read pypinyin's whole phrase list right: those
  whose reading differs from reading their characters one by one, plus, repeated until none is missing, each
  phrase that a match over the phrases kept so far would misread (a kept phrase inside it stealing its characters).
  About 3,500 of pypinyin's 47,000 phrases; the rest read like their characters.

Usage: python3 -m venv /tmp/v && /tmp/v/bin/pip install pypinyin==VERSION
       /tmp/v/bin/python scripts/pinyin/vendor-pypinyin.py [OUTDIR]     (default ThirdParty/pypinyin)
The same pypinyin version writes the same files, byte for byte (PinyinReferenceTests checks the committed ones).
"""
import importlib.metadata
import json
import os
import shutil
import sys
import unicodedata

import pypinyin

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "ThirdParty", "pypinyin")


def key_spelling(reading):
    """A reading as a key spells it: its letters without tone marks or the umlaut, lowercase."""
    letters = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c)).lower()
    if not letters.isascii() or not letters.isalpha():
        sys.exit(f"vendor-pypinyin: unexpected reading {reading!r}")
    return letters


def forward_maximum_match(text, phrases, longest, character_reading):
    """Reads text the way the key maker does: the longest known phrase first, else the character's reading."""
    readings, index = [], 0
    while index < len(text):
        for length in range(min(longest, len(text) - index), 1, -1):
            phrase = phrases.get(text[index:index + length])
            if phrase is not None:
                readings += phrase
                index += length
                break
        else:
            readings.append(character_reading[text[index]])
            index += 1
    return readings


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    version = importlib.metadata.version("pypinyin")
    package = os.path.dirname(pypinyin.__file__)
    with open(os.path.join(package, "pinyin_dict.json"), encoding="utf-8") as file:
        characters = {chr(int(code)): readings.split(",")[0] for code, readings in json.load(file).items()}
    with open(os.path.join(package, "phrases_dict.json"), encoding="utf-8") as file:
        upstream_phrases = json.load(file)

    character_reading = {character: key_spelling(reading) for character, reading in characters.items()}
    phrases = {}
    for phrase, readings in upstream_phrases.items():
        if len(readings) != len(phrase) or any(character not in character_reading for character in phrase):
            sys.exit(f"vendor-pypinyin: phrase {phrase!r} does not read one syllable a known character")
        phrases[phrase] = [key_spelling(choices[0]) for choices in readings]

    kept = {phrase: readings for phrase, readings in phrases.items()
            if readings != [character_reading[character] for character in phrase]}
    while True:
        longest = max(len(phrase) for phrase in kept)
        misread = [phrase for phrase, readings in phrases.items()
                   if phrase not in kept and forward_maximum_match(phrase, kept, longest, character_reading) != readings]
        if not misread:
            break
        kept.update((phrase, phrases[phrase]) for phrase in misread)

    origin = (f"pypinyin {version} (PyPI; https://github.com/mozillazg/python-pinyin), MIT, see LICENSE.txt; "
              "written by scripts/pinyin/vendor-pypinyin.py")
    os.makedirs(out, exist_ok=True)
    by_reading = {}
    for character in sorted(character_reading):
        by_reading.setdefault(character_reading[character], []).append(character)
    with open(os.path.join(out, "characters.txt"), "w", encoding="utf-8", newline="\n") as file:
        file.write(f"# {origin}\n# Each reading, a tab, then every character whose most common reading it is.\n")
        for reading in sorted(by_reading):
            file.write(f"{reading}\t{''.join(by_reading[reading])}\n")
    with open(os.path.join(out, "phrases.txt"), "w", encoding="utf-8", newline="\n") as file:
        file.write(f"# {origin}\n# {len(kept)} of its {len(phrases)} phrases (see the script): a phrase, a tab, "
                   "its readings.\n")
        for phrase in sorted(kept):
            file.write(f"{phrase}\t{' '.join(kept[phrase])}\n")
    distribution = importlib.metadata.distribution("pypinyin")
    licence = next((f for f in distribution.files or [] if os.path.basename(str(f)).startswith("LICENSE")), None)
    if licence is None:
        sys.exit("vendor-pypinyin: the installed pypinyin has no LICENSE file")
    shutil.copyfile(distribution.locate_file(licence), os.path.join(out, "LICENSE.txt"))
    print(f"vendor-pypinyin: {len(character_reading)} characters, {len(kept)} of {len(phrases)} phrases "
          f"from pypinyin {version}")


if __name__ == "__main__":
    main()
