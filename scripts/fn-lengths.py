#!/usr/bin/env python3
# Lengths of the Rust functions under a directory, longest first:
#   scripts/fn-lengths.py ld-core/src [N]   (prints length, file, name, line)
# A function runs from its `fn` line to the closing brace at the same indent.
import re,sys,os
res=[]
for root,_,files in os.walk(sys.argv[1]):
  for f in files:
    if not f.endswith('.rs'): continue
    p=os.path.join(root,f); L=open(p).read().split('\n')
    i=0
    while i<len(L):
      m=re.match(r'^(\s*)(pub(\([^)]*\))? )?(async )?(unsafe )?fn (\w+)',L[i])
      if m and not L[i].rstrip().endswith(';'):
        ind=len(m.group(1)); j=i+1
        while j<len(L) and not (L[j].startswith(' '*ind+'}') and len(L[j])-len(L[j].lstrip())==ind): j+=1
        res.append((j-i+1,p,m.group(6),i+1)); i+=1
      else: i+=1
for r in sorted(res,reverse=True)[:int(sys.argv[2]) if len(sys.argv)>2 else 25]: print(*r)
