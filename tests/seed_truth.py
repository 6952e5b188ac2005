# ruff: noqa: E501  (verbatim article text: long lines are the data)
"""Ground truth for the five seed articles, written by reading them by hand.

Other test modules import this (``from seed_truth import ...``) so the whole
suite agrees on what is article and what is page furniture. Strings are
verbatim from the seed after whitespace normalisation (runs of spaces and
no-break spaces become one space).
"""

from __future__ import annotations

from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

SEED_SOURCES: tuple[str, ...] = (
    "000_2e591541529075c5.txt",
    "001_e0b109478491a41f.txt",
    "002_841276cce93651df.txt",
    "003_cd37f288338e5723.txt",
    "004_d9df1ced53a76c60.txt",
)

# Every furniture line of each seed. None of these may survive cleaning as a
# line of its own; those of three words or more may not appear anywhere.
FURNITURE: dict[str, list[str]] = {
    "000_2e591541529075c5.txt": [
        "date 2023-01-19 https://sputniknews.com/20230119/west-is-pushing-kiev-into-threatening-vital-interests-of-russia-and-belarus-lavrov-says-1106493973.html",
        "2023-01-19T13:30+0000",
        "2023-01-19T13:34+0000",
        "russia",
        "sergey lavrov's press conference",
        "sergey lavrov's speeches",
        "belarus",
        "union state",
        "/html/head/meta[@name='og:title']/@content /html/head/meta[@name='og:description']/@content",
        "https://cdnn1.img.sputniknews.com/img/07e7/01/13/1106494338_0:0:2951:1660_1920x0_80_0_0_ab9ce9a0107c3dfa7f54df40fda19fc1.jpg",
        "https://sputniknews.com/20230116/belarus-russia-start-joint-air-force-exercise---defense-ministry-1106395905.html",
        "https://sputniknews.com/20230118/highlights-of-lavrovs-big-presser-from-wests-colonialist-mindset-to-ukraine-hybrid-war--beyond-1106466221.html",
        "Sputnik International feedback@sputniknews.com +74956456601 MIA „Rosiya Segodnya“ 252 60",
        "2023",
        "News",
        "en_EN",
        "1920 1080 true",
        "1920 1440 true",
        "1920 1920 true",
        "Sputnik International",
        "russia and belarus, sanctions against russia, sanctions against belarus, union state, union state of russia and belarus, lavrov's speeches, lavrov speech, lavrov press conference",
    ],
    "001_e0b109478491a41f.txt": [
        "Support Us",
        "Thursday, 12 January 2023, 20:16",
        'Read also an interview with the Ukrainian ambassador in Belarus: "Lukashenko will resist until the end but Belarus is still preparing for war"',
        "Journalists fight on their own frontline. Support Ukrainska Pravda or become our patron!",
    ],
    "002_841276cce93651df.txt": [
        "• 9",
        "• 6:10",
    ],
    "003_cd37f288338e5723.txt": [
        "date 2022-12-01 icon bookmark-bicon bookmarkicon cameraicon checkicon chevron downicon chevron lefticon chevron righticon chevron upicon closeicon v-compressicon downloadicon editicon v-expandicon fbicon fileicon filtericon flag ruicon full chevron downicon full chevron lefticon full chevron righticon full chevron upicon gpicon insicon mailicon moveicon-musicicon mutedicon nomutedicon okicon v-pauseicon v-playicon searchicon shareicon sign inicon sign upicon stepbackicon stepforicon swipe downicon tagicon tagsicon tgicon trashicon twicon vkicon yticon wticon fm",
        "1 Dec, 2022 09:56",
        "HomeRussia & FSU",
        "Russian Foreign Minister Sergey Lavrov © Sputnik / Mikhail Metzel",
        "Scholz explains need for top US warplanes READ MORE: Scholz explains need for top US warplanes",
        "Top stories",
        "RT Features",
        "The energy crisis is a major threat to the world. Is there a way out?",
        "The energy crisis is a major threat to the world. Is there a way out? FEATURE",
        "The volunteer super-spy: How a German businessman stole the newest US missile for Moscow",
        "The volunteer super-spy: How a German businessman stole the newest US missile for Moscow FEATURE",
        "Bye-bye, Kiev, hello Cote d’Azur: As Westerners send aid, here’s how Ukraine’s corrupt elites are profiting from the conflict",
        "Bye-bye, Kiev, hello Cote d’Azur: As Westerners send aid, here’s how Ukraine’s corrupt elites are profiting from the conflict FEATURE",
        "Podcasts",
        "All podcasts",
        "US repeatedly leaked info that should be kept private – Russian Deputy FM to RT",
        "0:00",
        "19:57",
        "Costly supply chain and semiconductor disruption",
        "22:49",
        "العربيةespрусdefrrs",
        "RT News App",
        "© Autonomous Nonprofit Organization “TV-Novosti”, 2005–2022. All rights reserved.",
        "This website uses cookies. Read RT Privacy policy to find out more.",
        "Accept cookies",
    ],
    "004_d9df1ced53a76c60.txt": [
        "date 2024-06-24 https://sputnikglobe.com/20240624/lavrov-accuses-west-of-issuing-ultimatum-to-russia-in-peace-efforts-1119107399.html",
    ],
}

# Every sentence of each article body (lede and standfirst included, headline
# excluded). Each must appear in the cleaned text exactly once.
BODY_SENTENCES: dict[str, list[str]] = {
    "000_2e591541529075c5.txt": [
        "The West has turned Ukraine into a bridgehead for subversive activities against the Union State, Russian Foreign Minister Sergey Lavrov during a press conference after a meeting with his Belarusian counterpart Sergey Aleinik on Thursday.",
        "The West has turned Ukraine into a bridgehead for subversive activities against the Union State, Russian Foreign Minister Sergey Lavrov said during a press conference after a meeting with his Belarusian counterpart Sergey Aleinik on Thursday.",
        "Russia's top diplomat stressed that Moscow and Minsk both share the view that the West is directly pushing Kiev into creating threats to the vital interests of Russia and Belarus.",
        "The two foreign ministers also discussed attempts by the West to interfere in the affairs of Moscow and Minsk.",
        'However, "this Western blitzkrieg" has failed both in Russia and in Belarus, the Russian foreign minister added.',
        'Lavrov pointed out that Russia would do everything to make its colleagues at NATO and the European Union "sober up" as soon as possible and abandon their "colonial illusions."',
        "The Russian minister then suggested that a number of politicians in Europe begin to realize that they are being used and deliberately weakened.",
        '"Europe, at least responsible politicians in a number of European countries, in my opinion, is beginning to understand, that they are being used, by and large, that they are being plunged into de-industrialization, they are being deliberately weakened so that they do not even think about trying to become an independent player," Lavrov said.',
        'He likewise expressed his confidence that such a situation "will someday pass and politicians who will take the interests of their peoples into account will come to power in European countries."',
        "Lavrov has also revealed that Russia and Belarus signed a memorandum on strengthening biological security, which is aimed at stopping threats from third countries.",
        "The minister explained that the implementation of said document implies a regular exchange of information between the institutions in order to develop response methods if necessary.",
        "Aside from holding talks with his Belarusian counterpart, Lavrov met with Belarusian President Alexander Lukashenko to discuss bilateral cooperation in the military-political sphere and defense issues.",
    ],
    "001_e0b109478491a41f.txt": [
        "Sergei Lavrov, the Minister of Foreign Affairs of Russia, will come to Minsk on 19 January to participate in an annual joint meeting of the foreign affairs ministries of Belarus and Russia.",
        "Source: Maria Zaharova, Spokesperson for the Ministry of Foreign Affairs of Russia; European Pravda, referring to BELTA",
        'Zaharova states that the main point of the meeting will be the implementation of the joint foreign policy programme of Minsk and Moscow as "states parties to the Treaty on the Creation of the Union State" for 2022-2023.',
        'Quote from Zakharova: "An issue of cooperation in the foreign policy planning sector will also be on the agenda, as well as coordination of actions concerning the EU, NATO, and the European Council, as well as joint work in the OSCE, interactions on multilateral forums in the sector of armament control and the counteraction against the Western tendency towards politicising international economic and human rights organisations."',
        "Zakharova claims that following the meeting, the meeting will be followed by the signing of a resolution and a plan of inter-institutional consultations for 2023.",
        "Background: Lavrov’s latest visit to Belarus was on 19 December, on the same date as that of Vladimir Putin, the President of Russia.",
        "He and Alexander Lukashenko, the self-proclaimed President of Belarus, agreed to continue joint military training and arms production.",
        "Russia and Belarus are planning joint aircraft unit training, which will take place in the territory of Belarus.",
        "The training is set to start on 16 January and last until 1 February, with the involvement of Russian and Belarusian military forces from the regional group of troops.",
    ],
    "002_841276cce93651df.txt": [
        "Belarusian President Aleksandr Lukashenko met with Russian Minister of Foreign Affairs Sergey Lavrov on 19 January.",
        "“One more year is over.",
        "We are well informed about the results of this year for Russia.",
        "We have approximately the same results.",
        "It is very good that we have reached a balance in our trade and economic relations with the Russian Federation.",
        "We even have a slight trade surplus.",
        "This suggests that the attempts to strangle us, Russia and Belarus, have actually failed.",
        "We will definitely stand our ground,” the Belarusian leader stressed.",
        "Aleksandr Lukashenko noted that over the difficult year 2022, the parties mapped out the way to go in order to preserve their sovereignty at all levels.",
        "“We are making good progress in import substitution.",
        "President Putin and I start almost all meetings with this matter.",
        "The economy is at the heart of everything.",
        "If our economy is doing fine, we will be able to resolve all other issues,” the head of state is sure.",
        "Commenting on the relations between the Ministries of Foreign Affairs, the President emphasized that he had always called them exemplary.",
        "“If all our ministries cooperated in the same way as the Ministries of Foreign Affairs, we would not have any problems at all.",
        "And there would be no problematic issues altogether.",
        "I have always said this.",
        "Not only today,” Aleksandr Lukashenko said.",
        "He noted that there are issues that need to be discussed at the meeting with Sergey Lavrov, and they go beyond the purview of the collegiums of the Ministries of Foreign Affairs of Belarus and Russia.",
        "“There are questions that we must discuss with you.",
        "You know my attitude towards you.",
        "I never hide anything from you.",
        "This is very important.",
        "Well, we also need to consult on some matters.",
        "Therefore, I suggest focusing on some key issues, and then we will have a one-on-one meeting to discuss other matters.",
        "This is not because we are hiding something from Sergei [Minister of Foreign Affairs of Belarus Sergei Aleinik].",
        "Absolutely not.",
        "But there are questions that are beyond the scope of our today’s official events,” said the head of state.",
        "“We are doing everything I have promised, everything Russia needs in this difficult period [the special operation of the Russian Federation in Ukraine].",
        "I think [Belarusian Minister of Foreign Affairs] Sergei Aleinik will tell you everything in detail,” the Belarusian President said.",
        "“I listened to your yesterday's press conference.",
        "I heard all your statements.",
        "I totally support all of them.",
        "In any contacts that we have with the West, others, we say that Russia has never been against peace.",
        "Let us negotiate.",
        "We are ready to take part in talks.",
        "You should have no doubt about that.",
        "If something is needed on our part and we can do it (you know very well what we can do), say it straight, we will work together, side-by-side,” the Belarusian leader stressed.",
        "According to Aleksandr Lukashenko, the West is trying to use Ukraine against Belarus.",
        "“Today, security for us, not only for Russia, is more important than before.",
        "You know the intentions of our western neighbors.",
        "Not only those of Ukraine.",
        "They are trying to use Ukraine against Belarus.",
        "But what amazes and pleasantly surprises me is that Ukraine has managed to resist so far.",
        "It has not yet engaged in provocations against Belarus.",
        "Although it is actively encouraged by our western neighbors.",
        "You know who these neighbors are,” the President said.",
        "“We have to withstand this period.",
        "The past year 2022 has shown that we can do it.",
        "We are on the same page here.",
        "In short, we have a lot to talk about, discuss issues,” the head of state said.",
        "Sergey Lavrov is convinced that the Minsk meeting of the collegiums of the Ministries of Foreign Affairs of Belarus and Russia is important and well-timed.",
        "“Thank you very much for having me here.",
        "First of all, best regards from Vladimir Vladimirovich.",
        "Although you meet with him ...",
        "We have calculated that last year you met 10 times in person in addition to phone calls.",
        "Therefore, we, the foreign ministers, cannot keep up with you.",
        "But that is the way it should be,” Sergey Lavrov stressed.",
        "In this regard, Aleksandr Lukashenko responded: “We will meet even more often this year.”",
        "The Russian foreign minister emphasized: “The meeting of the two collegiums is more timely than ever.",
        "We will discuss the situation that developed because of the West’s attempts to establish a total domination.",
        "This policy is spearheaded by the Americans who put others under their sway.",
        "And this is manifested in the positions of NATO, of course, of the European Union.",
        "The Council of Europe has already taken this path.",
        "And many problems are accumulating in the OSCE.”",
        "Sergey Lavrov said that these are some of the key issues on the agenda of the meeting of the collegiums, “along with cooperation in international organizations, where it is important for us to prevent the privatization of secretariats, this is also what the West is trying to do”.",
        "“It is of particular importance to coordinate our actions within the so-called human rights framework: the UN Council on Human Rights, other mechanisms, where the West is clearly trying to politicize the debate, which should be based on the existing international humanitarian law,” the head of the Russian Foreign Ministry said.",
        '"As for the special military operation, we are taking all necessary measures together with our Belarusian allies and friends to defend ourselves from possible encroachments, as you said, by our Western neighbors.',
        "We see how NATO is now settling in the north of Europe, which was a neutral territory in many respects.",
        'Finland, Sweden - all this is very close to our borders," Sergey Lavrov noted.',
        '"I fully concur that the agreements that the two Presidents reach on military-technical, military and defense cooperation are very, very timely from the point of view of readiness for any development of events," Sergey Lavrov summed up.',
    ],
    "003_cd37f288338e5723.txt": [
        "When it comes to defense, Western European states completely submit to the US, the Russian foreign minister has claimed",
        "Moscow doesn’t need the type of European security that the West is trying to build without Russia and Belarus, Russian Foreign Minister Sergey Lavrov has said.",
        "The West “is already trying to build a security architecture [in Europe] without Russia and Belarus.",
        "We don’t need such security,” Lavrov said during a video conference on Thursday.",
        "“The whole security [architecture] in Europe now comes down to it being completely subjected to the US,” he claimed.",
        "There were discussions in France and Germany about the creation of Europe’s own military force a couple of years ago, Lavrov noted.",
        "But those ideas have now been set aside, with both Paris and Berlin saying they would stick with the US-led NATO bloc, he said.",
        "Instead of working towards collective security in Europe, the West is “digging dividing lines,” Lavrov said.",
        "“When the EU and NATO understands the futility of their current line and the great risks that it involves, we [Russia] will look at what they’ll be ready to offer us when they come asking to discuss some other possibilities.”",
        "Moscow and Minsk, which already have a joint military grouping on the territory of Belarus, will continue to boost their security cooperation, the Russian foreign minister said.",
        "Both countries realize the importance of such work, “considering the continued provocations, including those by Ukraine,” he added.",
        "“All the necessary measures aimed at maintaining readiness to deal with any possible developments have been implemented,” Lavrov said.",
    ],
    "004_d9df1ced53a76c60.txt": [
        "Most moves by the West since the start of Russia's military operation in Ukraine resemble an ultimatum to the Russian Federation, including Moscow's attempts to settle the conflict, Russian Foreign Minister Sergey Lavrov told a press conference following a meeting with his Belarussian counterpart.",
        'Russia\'s foreign minister has accused the West of giving Moscow an "ultimatum" on Ukraine.',
        'That includes "the prospects for a political and diplomatic settlement, which were sabotaged on the orders of the Anglo-Saxons in April 2022," along with "the creeping expansion of the range of weapons that the West itself allows to deliver to the Kiev Nazi regime," Lavrov told a press conference with Belarussian Foreign Minister Sergei Aleinik.',
        'Russia is not holding any "undercover" talks with the West on the situation in Ukraine, the foreign minister stressed.',
        '"We are not conducting any undercover negotiations with anyone," he told reporters.',
        "Lavrov also stated that Russia and Belarus will strengthen military-technical cooperation.",
        '"Virtually everything the West does, what it declares, what it implements in practice since the beginning of the special military operation, is part of an ultimatum to the Russian Federation across all areas," Lavrov said.',
        '"Special attention was paid to the formation of a common space of the Union State in the areas of defense and security," he told the press conference in Minsk.',
        '"We analyzed the progress of work on the drafts of the Union State security concept and the bilateral interstate treaty on security guarantees.',
        'We spoke in favor of strengthening military-technical cooperation."',
    ],
}

# What a reader can establish from the page itself; None where the page does not say.
METADATA: dict[str, dict[str, str | None]] = {
    "000_2e591541529075c5.txt": {
        "title": "West is Pushing Kiev Into Threatening Vital Interests of Russia and Belarus, Lavrov Says",
        "publisher": "Sputnik",
        "date": "2023-01-19",
        "url": "https://sputniknews.com/20230119/west-is-pushing-kiev-into-threatening-vital-interests-of-russia-and-belarus-lavrov-says-1106493973.html",
    },
    "001_e0b109478491a41f.txt": {
        "title": "Lavrov goes to Belarus to discuss counteracting the West",
        "publisher": "Ukrainska Pravda",  # "Support Ukrainska Pravda or become our patron!"
        "date": "2023-01-12",  # no header: "Thursday, 12 January 2023, 20:16" in the body
        "url": None,
    },
    "002_841276cce93651df.txt": {
        "title": "Meeting with Russian Minister of Foreign Affairs Sergey Lavrov",
        "publisher": None,  # no header, URL or masthead: the page never names its publisher
        "date": None,  # only "19 January" (no year) and "2022" (no day)
        "url": None,
    },
    "003_cd37f288338e5723.txt": {
        "title": "Moscow rejects European security without Russia and Belarus – Lavrov",
        "publisher": "RT",  # masthead: "RT News App", "TV-Novosti"
        "date": "2022-12-01",  # header has a date but no URL
        "url": None,
    },
    "004_d9df1ced53a76c60.txt": {
        "title": "Lavrov Accuses West of Issuing Ultimatum to Russia in Peace Efforts",
        "publisher": "Sputnik",
        "date": "2024-06-24",
        "url": "https://sputnikglobe.com/20240624/lavrov-accuses-west-of-issuing-ultimatum-to-russia-in-peace-efforts-1119107399.html",
    },
}


def normalise_ws(text: str) -> str:
    """Collapse every run of whitespace (no-break spaces included) to one space."""
    return " ".join(text.split())
