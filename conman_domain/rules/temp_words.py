"""Built-in word lists for temp environment hosts (DOMAIN.md §16.4).

Lowercase ASCII letters only, at least 256 of each, none containing "conman"; a host
word is ``<adjective>-<noun>`` drawn by CSPRNG (``IdPort.choice``).
"""

from __future__ import annotations

__all__ = ["ADJECTIVES", "NOUNS"]

_ADJECTIVE_TEXT = """
able acid agile airy alert alive amber amiable ample ancient apt arctic arid aware
azure balmy bold bouncy brave breezy bright brisk broad bronze bubbly busy calm candid
careful casual cheerful cheery chief civic clean clear clever cloudy coastal cobalt
cool copper coral cosmic cozy crafty crisp curious curly cyan dainty dapper daring
dashing dear deep deft dense direct distant dizzy docile dreamy dry dusky dusty eager
early earnest easy elated elder electric elegant emerald empty epic equal even exact
exotic fabled fair faithful famous fancy fast fearless fervent festive fierce fine
firm first fit flat fleet fluffy flying fond formal fresh friendly frosty frugal full
funny fuzzy gentle giant gifted gilded glad gleaming glossy glowing golden good
graceful grand grassy great green happy hardy harmonic hasty hazel hearty heroic
hidden high hollow honest hopeful humble hushed icy ideal idle immense indigo inner
ivory jade jaunty jolly jovial joyful keen kind large lasting lavish lawful leafy lean
light limber lime linen lively local lofty logical lone long loud lovely loyal lucid
lucky lunar lush magic main major mellow merry mighty mild minty mirthful misty modern
modest molten mossy muddy musical mystic narrow native nautical neat nimble noble
northern novel oaken ocean olive opal open optimal orange ornate outer pale patient
peaceful pearly perky placid plain playful pleasant plucky plush polar polished polite
precise prime proud prudent pure quaint quick quiet quirky radiant rapid rare ready
regal rich rigid ripe robust rosy round royal ruby rugged rustic sandy sassy scarlet
serene sharp shiny silent silky silver simple sincere sleek slender slim smart smooth
snowy snug soft solar solid sonic spare sparkling speedy spicy spry square stable
stark steady steep stellar still stoic stormy sturdy sublime sunny super supple swift
tall tame tangy teal tender terse thankful tidy timely tiny tireless topaz tough
tranquil tropical true trusty twin upbeat urban valiant vast velvet verdant vivid warm
wary wavy wealthy whimsical wild windy wise witty woody worthy young zany zealous
zesty zippy
"""

_NOUN_TEXT = """
acorn alder anchor anemone antler apple apricot arch arrow aspen aster atlas aurora
badger bamboo banjo barley basil basin bay beacon bear beaver bee beech bell berry
birch bison blossom bluff boat bolt bramble breeze brook buffalo bunny butte cactus
camel canary canoe canopy canyon cape cardinal carrot cascade castle cavern cedar
cello chalk cherry chestnut cinder citrus cliff clover cobble comet compass condor
coral cougar cove coyote crane crater creek cricket crow crystal cypress dahlia daisy
dawn deer delta desert dingo dolphin dove dragon drum dune eagle echo eel egret elk
elm ember emu estuary falcon fennel fern ferret fiddle field finch fjord flame flint
forest fox frost galaxy garden gazelle gecko geyser ginger glacier glade goose gopher
granite grape grove gull hamlet harbor hare harp hawk hazel heather heron hill hippo
horizon hornet husky ibis inlet iris island ivy jackal jaguar jasper jay jetty juniper
kayak kelp kestrel kettle kite kiwi koala lagoon lake lantern lark laurel lemon
leopard lichen lily lime linden lion llama lobster lotus lynx magpie mallard mango
maple marble marsh meadow melon mesa meteor mink mint mistral mole moon moose moss
moth mountain mule nebula nectar nest newt nightjar nutmeg oak oasis ocelot octopus
olive orbit orca orchard orchid osprey otter owl oyster paddock panda panther parrot
peach pear pebble pelican pepper petal pheasant pine planet plum pond poplar poppy
prairie puffin puma quail quartz quasar quince rabbit raccoon radish rain rapids raven
reed reef ridge river robin rocket rose ruby saddle saffron sage salmon sapphire
savanna seal sequoia shark shell shore sierra sparrow spring spruce squid star stone
stork stream summit swallow swan sycamore tapir teal tern thistle thrush tide tiger
timber toad topaz tortoise toucan trail trout tulip tundra turtle valley violet viper
vole walnut walrus waterfall wave weasel whale wigeon willow wolf wombat woodland wren
yak yarrow zebra zephyr
"""

ADJECTIVES: tuple[str, ...] = tuple(_ADJECTIVE_TEXT.split())
NOUNS: tuple[str, ...] = tuple(_NOUN_TEXT.split())
