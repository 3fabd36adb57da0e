# hv's polkit grant, in builtins only: the polkit.addRule blocks of a rules
# file (polkit/50-hyper-nixos.rules) that decide hv's own actions
# (org.hyper-nixos.*), and nothing else of the file, with the group
# "hvoperators" replaced by the operators group. What else the file holds
# (tests/real grants org.libvirt.unix.manage there until its daemon takes
# over) never reaches a NixOS host: read-write libvirt is root's.
#
#   import ./polkit.nix { text = builtins.readFile ../polkit/50-hyper-nixos.rules; group = "ops"; }
{ text, group }:
let
  inherit (builtins) concatStringsSep filter head isString length map replaceStrings split tail toJSON;

  # Plain-text search: a regular expression's "." would need to cross lines,
  # which not every Nix's regex engine does.
  escape = replaceStrings [ "\\" "." "(" ")" "[" "]" "{" "}" "*" "+" "?" "^" "$" "|" ]
    [ "[\\]" "[.]" "[(]" "[)]" "[[]" "[]]" "[{]" "[}]" "[*]" "[+]" "[?]" "\\^" "[$]" "[|]" ];
  has = needle: s: length (split (escape needle) s) > 1;

  # Each block runs from polkit.addRule( to the first "});" at the start
  # of a line: the comments between blocks stay out.
  pieces = tail (filter isString (split (escape "polkit.addRule(") text));
  blocks = map (p: "polkit.addRule(" + head (split (escape "\n});") p) + "\n});") pieces;

  placeholder = ''"hvoperators"'';
  grants = filter (has ''"org.hyper-nixos.'') blocks;
  # A block that decides hv's actions and anything else would carry the
  # rest along.
  mixed = filter (b: has "org.libvirt." b || has "org.freedesktop." b) grants;
in
if grants == [ ] then throw "hyper-nixos: the polkit rules have no polkit.addRule block for hv's actions (org.hyper-nixos.*)"
else if mixed != [ ] then throw "hyper-nixos: a polkit rule for hv's actions also decides libvirt's or systemd's; keep them apart: ${toJSON mixed}"
else if !(builtins.all (has placeholder) grants) then throw "hyper-nixos: the polkit rule for hv's actions no longer names the group ${placeholder}"
else concatStringsSep "\n\n" (map (replaceStrings [ placeholder ] [ (toJSON group) ]) grants)
